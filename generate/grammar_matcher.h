#pragma once
// GrammarMatcher: where a byte string stands in a Grammar, as the set of parse stacks that
// are still alive (llama.cpp's grammar stacks). A stack is a chain of frames, each the next
// element to match in one rule; frames live in an arena and stacks share their tails, so
// trying a byte costs a few small pushes, not copies (the vocabulary walk tries every token
// of a step from one state).
//
// The empty stack means "the whole root matched": accepted() is true while it is among the
// stacks; alive() is false once no stack is left (the bytes are no prefix of the language).

#include <cstdint>
#include <string>
#include <vector>

#include "generate/grammar.h"

namespace chosei {

class GrammarMatcher {
 public:
  using Stacks = std::vector<std::int32_t>;  // top frame ids; -1 is the empty stack

  explicit GrammarMatcher(const Grammar& grammar);

  const Stacks& stacks() const { return stacks_; }
  bool alive() const { return !stacks_.empty(); }
  bool accepted() const;
  // Fewest more bytes that reach acceptance from here.
  std::int64_t min_bytes_to_accept() const { return min_bytes(stacks_); }

  // Consumes `bytes` for good; false (and no change) when they leave the language.
  bool accept(const std::string& bytes);

  // For walks that try bytes from a saved state: advance `from` by one byte into `to`
  // (frames are pushed onto the arena; rewind() drops them again).
  void advance(const Stacks& from, unsigned char byte, Stacks& to);
  std::int64_t min_bytes(const Stacks& stacks) const;
  bool accepted(const Stacks& stacks) const;
  // The stacks' content (every frame's position, top to bottom): equal for equal states
  // whatever their frame ids.
  std::string signature(const Stacks& stacks) const;
  std::size_t mark() const { return frames_.size(); }
  void rewind(std::size_t mark) { frames_.resize(mark); }

 private:
  struct Frame {
    std::int32_t pos, parent;
  };
  std::int32_t push(std::int32_t pos, std::int32_t parent);
  void expand(std::int32_t stack, Stacks& out, int depth);
  void add_unique(Stacks& out, std::int32_t stack) const;
  void compact();  // keeps only the frames the current stacks use

  const Grammar& grammar_;
  std::vector<Frame> frames_;
  Stacks stacks_;
};

}  // namespace chosei
