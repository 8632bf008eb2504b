#include "generate/text_stream.h"

#include <algorithm>

namespace chosei {

namespace {
const std::string kReplacement = "\xEF\xBF\xBD";
bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}
}  // namespace

TextStream::TextStream(const Tokenizer& tokenizer, std::vector<std::string> stop_strings,
                       std::vector<TokenId> context)
    : tokenizer_(tokenizer), stops_(std::move(stop_strings)), ids_(std::move(context)) {
  stops_.erase(std::remove(stops_.begin(), stops_.end(), std::string()), stops_.end());
  context_text_ = tokenizer_.decode(ids_, /*skip_special=*/true);
}

std::string TextStream::decode_fresh() const {
  std::string text = tokenizer_.decode(ids_, /*skip_special=*/true);
  std::size_t common = 0;
  while (common < text.size() && common < context_text_.size() &&
         text[common] == context_text_[common])
    ++common;
  return text.substr(common);
}

std::string TextStream::push(TokenId id) {
  if (stopped_) return "";
  ids_.push_back(id);
  std::string text = decode_fresh();
  // Decoding all ids keeps tokenizer-specific rules (leading-space stripping) exact.
  if (text.size() < released_.size() || text.compare(0, released_.size(), released_) != 0)
    return "";
  std::string fresh = text.substr(released_.size());
  // Stop strings: cut at the earliest one.
  std::size_t cut = std::string::npos;
  for (const auto& s : stops_) cut = std::min(cut, fresh.find(s));
  if (cut != std::string::npos) {
    stopped_ = true;
    std::string out = fresh.substr(0, cut);
    released_ += out;
    return out;
  }
  // Hold back a trailing replacement character (a multi-byte character split across
  // byte-fallback tokens) and any suffix that is a prefix of a stop string.
  std::size_t hold = 0;
  if (ends_with(fresh, kReplacement)) hold = kReplacement.size();
  for (const auto& s : stops_)
    for (std::size_t k = std::min(s.size() - 1, fresh.size()); k > hold; --k)
      if (fresh.compare(fresh.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  std::string out = fresh.substr(0, fresh.size() - hold);
  released_ += out;
  return out;
}

std::string TextStream::finish() {
  if (stopped_) return "";
  std::string text = decode_fresh();
  if (text.size() <= released_.size() || text.compare(0, released_.size(), released_) != 0)
    return "";
  std::string out = text.substr(released_.size());
  released_ += out;
  return out;
}

}  // namespace chosei
