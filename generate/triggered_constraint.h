#pragma once
// TriggeredConstraint: free text until a trigger string appears in the output (a tool call's
// opening, "<tool_call>"), then a Grammar for what must follow it (the call), then free
// again. llama.cpp's lazy grammars work this way: a model may answer in prose, but once it
// starts a call the call is well-formed. A token that completes the trigger is checked on
// its bytes after it; inside a call a GrammarConstraint decides (so a call once started
// fits the tokens left).

#include <memory>
#include <string>
#include <vector>

#include "generate/grammar_constraint.h"

namespace chosei {

class TriggeredConstraint : public TokenConstraint {
 public:
  // All references must outlive the constraint.
  TriggeredConstraint(std::string trigger, std::shared_ptr<const Grammar> body,
                      const TokenBytes& bytes, const VocabularyTrie& trie,
                      std::vector<TokenId> eos_ids);

  bool allows(TokenId id, std::int64_t tokens_left) override;
  bool fill_mask(std::vector<char>& mask, std::int64_t tokens_left) override;
  void accept(TokenId id) override;
  bool finished() const override { return false; }

 private:
  // A free-text token: where the trigger ends inside window_ + its bytes (npos: it does not).
  std::size_t trigger_end(const std::string& bytes) const;
  bool starts_call_well(const std::string& bytes, std::size_t end, std::int64_t tokens_left) const;
  bool is_eos(TokenId id) const;

  std::string trigger_;
  std::shared_ptr<const Grammar> body_;
  const TokenBytes& bytes_;
  const VocabularyTrie& trie_;
  std::vector<TokenId> eos_ids_;
  std::string window_;                       // the last free bytes (shorter than the trigger)
  std::unique_ptr<GrammarConstraint> call_;  // set inside a call
};

}  // namespace chosei
