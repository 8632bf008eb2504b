#include "generate/grammar_constraint.h"

#include <algorithm>
#include <stdexcept>

namespace chosei {

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> grammar,
                                     const TokenBytes& bytes, const VocabularyTrie& trie,
                                     std::vector<TokenId> eos_ids)
    : grammar_(std::move(grammar)),
      bytes_(bytes),
      trie_(trie),
      eos_ids_(std::move(eos_ids)),
      matcher_(*grammar_) {}

bool GrammarConstraint::is_eos(TokenId id) const {
  return std::find(eos_ids_.begin(), eos_ids_.end(), id) != eos_ids_.end();
}

// After this token, tokens_left - 1 remain: the shortest completion must fit in them.
bool GrammarConstraint::fits(const GrammarMatcher::Stacks& after, std::int64_t tokens_left) const {
  return !after.empty() && matcher_.min_bytes(after) <= tokens_left - 1;
}

bool GrammarConstraint::allows(TokenId id, std::int64_t tokens_left) {
  if (is_eos(id)) return matcher_.accepted();
  if (id < 0 || id >= bytes_.size() || !bytes_.usable(id)) return false;
  const auto mark = matcher_.mark();
  GrammarMatcher::Stacks current = matcher_.stacks(), next;
  for (unsigned char b : bytes_.of(id)) {
    matcher_.advance(current, b, next);
    if (next.empty()) break;
    current.swap(next);
  }
  const bool ok = !next.empty() && fits(current, tokens_left);
  matcher_.rewind(mark);
  return ok;
}

void GrammarConstraint::walk(std::int32_t node, const GrammarMatcher::Stacks& state,
                             std::int64_t tokens_left, std::vector<char>& mask, bool& any) {
  GrammarMatcher::Stacks next;
  for (const auto& [byte, child] : trie_.node(node).children) {
    const auto mark = matcher_.mark();
    matcher_.advance(state, byte, next);
    if (!next.empty()) {
      if (fits(next, tokens_left))
        for (auto id : trie_.node(child).tokens) mask[static_cast<std::size_t>(id)] = 1, any = true;
      walk(child, next, tokens_left, mask, any);
    }
    matcher_.rewind(mark);
  }
}

bool GrammarConstraint::fill_mask(std::vector<char>& mask, std::int64_t tokens_left) {
  bool any = false;
  walk(VocabularyTrie::kRoot, matcher_.stacks(), tokens_left, mask, any);
  if (matcher_.accepted())
    for (auto id : eos_ids_)
      if (id >= 0 && static_cast<std::size_t>(id) < mask.size()) mask[id] = 1, any = true;
  return any;
}

void GrammarConstraint::accept(TokenId id) {
  if (is_eos(id)) return;
  if (!matcher_.accept(bytes_.of(id)))
    throw std::logic_error("a token the grammar refuses was chosen");
}

bool GrammarConstraint::finished() const {
  return matcher_.accepted() && matcher_.stacks().size() == 1;
}

}  // namespace chosei
