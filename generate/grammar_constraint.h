#pragma once
// GrammarConstraint: a TokenConstraint from a byte Grammar. A token is allowed when its
// bytes keep the output a prefix of the language and the shortest way to finish from there
// still fits the tokens left (one token per byte at worst, which byte-fallback and
// byte-level vocabularies always have), so a row always ends with a complete output unless
// max_tokens is below the shortest one. End-of-sequence ids are allowed once the output is
// complete; when nothing can follow it, finished() ends the row.

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "generate/grammar_matcher.h"
#include "generate/token_constraint.h"
#include "generate/vocabulary_trie.h"

namespace chosei {

class GrammarConstraint : public TokenConstraint {
 public:
  // All three must outlive the constraint (a served model keeps them; grammars are shared).
  GrammarConstraint(std::shared_ptr<const Grammar> grammar, const TokenBytes& bytes,
                    const VocabularyTrie& trie, std::vector<TokenId> eos_ids);

  bool allows(TokenId id, std::int64_t tokens_left) override;
  bool fill_mask(std::vector<char>& mask, std::int64_t tokens_left) override;
  void accept(TokenId id) override;
  bool finished() const override;
  // Takes raw bytes (what follows a trigger inside one token); false when they leave the
  // language.
  bool accept_bytes(const std::string& bytes) { return matcher_.accept(bytes); }

 private:
  bool is_eos(TokenId id) const;
  bool fits(const GrammarMatcher::Stacks& after, std::int64_t tokens_left) const;
  using Candidates = std::vector<std::pair<TokenId, std::int64_t>>;  // token, bytes to finish
  void walk(std::int32_t node, const GrammarMatcher::Stacks& state, Candidates& out);
  const Candidates& candidates();
  static constexpr std::size_t kCachedStates = 64;
  std::unordered_map<std::string, Candidates> cache_;

  std::shared_ptr<const Grammar> grammar_;
  const TokenBytes& bytes_;
  const VocabularyTrie& trie_;
  std::vector<TokenId> eos_ids_;
  GrammarMatcher matcher_;
};

}  // namespace chosei
