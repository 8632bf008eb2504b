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

// Every token that keeps the output in the language, with the fewest bytes that then
// complete it (the budget check happens per step, on this list).
void GrammarConstraint::walk(std::int32_t node, const GrammarMatcher::Stacks& state,
                             Candidates& out) {
  GrammarMatcher::Stacks next;
  for (const auto& [byte, child] : trie_.node(node).children) {
    const auto mark = matcher_.mark();
    matcher_.advance(state, byte, next);
    if (!next.empty()) {
      const auto& tokens = trie_.node(child).tokens;
      if (!tokens.empty()) {
        const auto need = matcher_.min_bytes(next);
        for (auto id : tokens) out.emplace_back(id, need);
      }
      walk(child, next, out);
    }
    matcher_.rewind(mark);
  }
}

// States recur (every character inside a JSON string leaves the same stacks), so the walk's
// result is kept per state: a recurring state costs one pass over its candidates.
const GrammarConstraint::Candidates& GrammarConstraint::candidates() {
  const auto key = matcher_.signature(matcher_.stacks());
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  if (cache_.size() >= kCachedStates) cache_.clear();
  Candidates found;
  walk(VocabularyTrie::kRoot, matcher_.stacks(), found);
  return cache_.emplace(key, std::move(found)).first->second;
}

bool GrammarConstraint::fill_mask(std::vector<char>& mask, std::int64_t tokens_left) {
  bool any = false;
  for (const auto& [id, need] : candidates())
    if (need <= tokens_left - 1) mask[static_cast<std::size_t>(id)] = 1, any = true;
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
