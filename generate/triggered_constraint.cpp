#include "generate/triggered_constraint.h"

#include <algorithm>
#include <stdexcept>

namespace chosei {

TriggeredConstraint::TriggeredConstraint(std::string trigger, std::shared_ptr<const Grammar> body,
                                         const TokenBytes& bytes, const VocabularyTrie& trie,
                                         std::vector<TokenId> eos_ids)
    : trigger_(std::move(trigger)),
      body_(std::move(body)),
      bytes_(bytes),
      trie_(trie),
      eos_ids_(std::move(eos_ids)) {
  if (trigger_.empty()) throw std::invalid_argument("a triggered constraint needs a trigger");
}

bool TriggeredConstraint::is_eos(TokenId id) const {
  return std::find(eos_ids_.begin(), eos_ids_.end(), id) != eos_ids_.end();
}

std::size_t TriggeredConstraint::trigger_end(const std::string& bytes) const {
  const std::string seen = window_ + bytes;
  const auto at = seen.find(trigger_);
  if (at == std::string::npos) return std::string::npos;
  return at + trigger_.size() - window_.size();  // an offset into `bytes`
}

// The bytes after the trigger must begin the body, and the body must fit what is left.
bool TriggeredConstraint::starts_call_well(const std::string& bytes, std::size_t end,
                                           std::int64_t tokens_left) const {
  GrammarMatcher m(*body_);
  GrammarMatcher::Stacks state = m.stacks(), next;
  for (std::size_t i = end; i < bytes.size(); ++i) {
    m.advance(state, static_cast<unsigned char>(bytes[i]), next);
    if (next.empty()) return false;
    state.swap(next);
  }
  return m.min_bytes(state) <= tokens_left - 1;
}

bool TriggeredConstraint::allows(TokenId id, std::int64_t tokens_left) {
  if (call_) return call_->allows(id, tokens_left);
  if (is_eos(id) || id < 0 || id >= bytes_.size() || !bytes_.usable(id)) return true;
  const auto end = trigger_end(bytes_.of(id));
  return end == std::string::npos || starts_call_well(bytes_.of(id), end, tokens_left);
}

bool TriggeredConstraint::fill_mask(std::vector<char>& mask, std::int64_t tokens_left) {
  if (call_) return call_->fill_mask(mask, tokens_left);
  for (TokenId id = 0; id < static_cast<TokenId>(mask.size()); ++id)
    if (allows(id, tokens_left)) mask[static_cast<std::size_t>(id)] = 1;
  return true;  // free text: end of sequence is always allowed
}

void TriggeredConstraint::accept(TokenId id) {
  if (call_) {
    call_->accept(id);
    if (call_->finished()) call_.reset();
    return;
  }
  if (is_eos(id) || id < 0 || id >= bytes_.size() || !bytes_.usable(id)) return;
  const std::string& bytes = bytes_.of(id);
  const auto end = trigger_end(bytes);
  if (end == std::string::npos) {
    window_ += bytes;
    if (window_.size() >= trigger_.size()) window_.erase(0, window_.size() - trigger_.size() + 1);
    return;
  }
  window_.clear();
  call_ = std::make_unique<GrammarConstraint>(body_, bytes_, trie_, eos_ids_);
  if (end < bytes.size() && !call_->accept_bytes(bytes.substr(end)))
    throw std::logic_error("a token the tool-call grammar refuses was chosen");
  if (call_->finished()) call_.reset();
}

}  // namespace chosei
