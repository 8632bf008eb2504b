#pragma once
// Grammar: a context-free grammar over bytes, the shape llama.cpp's GBNF compiles to. A rule
// is a list of alternatives; an alternative is a sequence of elements, each a byte class or
// a reference to a rule. Alternatives are stored flat, each ended by an end marker, so a
// parser position is one index (GrammarMatcher walks them).
//
//   Grammar g;
//   auto digit = g.rule("digit");
//   g.add(digit, {Grammar::range('0', '9')});
//   auto digits = g.rule("digits");            // digits ::= digit digits | (empty)
//   g.add(digits, {Grammar::ref(digit), Grammar::ref(digits)});
//   g.add(digits, {});
//   g.finish(digits);
//
// Left recursion is not allowed (the matcher expands references eagerly); right recursion
// costs nothing, because a reference in last position replaces its frame.

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

namespace chosei {

class Grammar {
 public:
  struct Element {
    enum Kind : std::uint8_t { kEnd, kBytes, kRule } kind = kEnd;
    std::bitset<256> bytes;  // kBytes: the bytes it matches
    std::int32_t rule = -1;  // kRule
  };
  using Sequence = std::vector<Element>;

  static Element bytes(const std::string& set);  // any one of these bytes
  static Element range(unsigned char lo, unsigned char hi);
  static Element any_except(const std::string& set, unsigned char below = 0);
  static Element ref(std::int32_t rule);
  static Sequence literal(const std::string& text);  // one element per byte

  // A new rule (no alternatives yet); names are for messages.
  std::int32_t rule(const std::string& name);
  void add(std::int32_t rule, Sequence alternative);
  // Freezes the grammar with `root` as its start; throws std::invalid_argument naming a rule
  // without alternatives, a reference to no rule, or a rule that derives no finite string.
  void finish(std::int32_t root);

  std::int32_t root() const { return root_; }
  std::size_t rules() const { return alternatives_.size(); }
  const std::string& name(std::int32_t rule) const { return names_[rule]; }
  // Flat elements (after finish): alternatives_of(r) gives each alternative's first index.
  const std::vector<Element>& elements() const { return elements_; }
  const std::vector<std::int32_t>& alternatives_of(std::int32_t rule) const {
    return starts_[rule];
  }
  // Fewest bytes that complete the alternative from position `pos` to its end.
  std::int64_t min_bytes_from(std::int32_t pos) const { return suffix_min_[pos]; }

 private:
  void compute_min_lengths();

  std::vector<std::string> names_;
  std::vector<std::vector<Sequence>> alternatives_;
  std::vector<Element> elements_;
  std::vector<std::vector<std::int32_t>> starts_;
  std::vector<std::int64_t> suffix_min_;
  std::int32_t root_ = -1;
};

}  // namespace chosei
