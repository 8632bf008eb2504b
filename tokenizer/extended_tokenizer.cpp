#include "tokenizer/extended_tokenizer.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

ExtendedTokenizer::ExtendedTokenizer(std::shared_ptr<const Tokenizer> base,
                                     const std::vector<std::string>& added)
    : base_(std::move(base)), added_(added) {
  for (const auto& t : added_)
    if (t.empty()) throw std::invalid_argument("added tokens cannot be empty");
}

std::unique_ptr<ExtendedTokenizer> ExtendedTokenizer::from_added_tokens_json(
    std::shared_ptr<const Tokenizer> base, const std::string& path) {
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::invalid_argument(path + ": not a JSON object");
  std::map<TokenId, std::string> by_id;
  for (auto& [tok, id] : j.items()) {
    if (!id.is_number_integer())
      throw std::invalid_argument(path + ": id of \"" + tok + "\" is not an integer");
    by_id[id.get<TokenId>()] = tok;
  }
  std::vector<std::string> added;
  TokenId expect = static_cast<TokenId>(base->vocab_size());
  for (const auto& [id, tok] : by_id) {
    if (id < base->vocab_size()) continue;  // already part of the base vocabulary
    if (id != expect)
      throw std::invalid_argument(path + ": added ids must continue the vocabulary at " +
                                  std::to_string(expect));
    added.push_back(tok);
    ++expect;
  }
  return std::make_unique<ExtendedTokenizer>(std::move(base), added);
}

std::vector<TokenId> ExtendedTokenizer::encode(const std::string& text, bool add_special) const {
  // Cut at the leftmost-longest added token; the pieces between go to the base tokenizer.
  std::vector<TokenId> ids;
  std::size_t pos = 0, segment = 0;
  bool first = true;
  auto flush = [&](std::size_t end) {
    if (end <= segment) return;
    auto part = base_->encode(text.substr(segment, end - segment), add_special && first);
    ids.insert(ids.end(), part.begin(), part.end());
    first = false;
  };
  while (pos < text.size()) {
    std::size_t best = 0;
    TokenId best_id = -1;
    for (std::size_t i = 0; i < added_.size(); ++i)
      if (added_[i].size() > best && text.compare(pos, added_[i].size(), added_[i]) == 0)
        best = added_[i].size(), best_id = static_cast<TokenId>(base_->vocab_size() + i);
    if (best_id < 0) {
      ++pos;
      continue;
    }
    flush(pos);
    if (first && add_special) {  // BOS goes first even when the text starts with an added token
      auto bos = base_->encode("", true);
      ids.insert(ids.end(), bos.begin(), bos.end());
    }
    first = false;
    ids.push_back(best_id);
    pos += best;
    segment = pos;
  }
  if (segment < text.size() || first) {
    auto part = base_->encode(text.substr(segment), add_special && first);
    ids.insert(ids.end(), part.begin(), part.end());
  }
  return ids;
}

std::vector<TokenId> ExtendedTokenizer::encode_plain(const std::string& text) const {
  return base_->encode_plain(text);
}

std::string ExtendedTokenizer::decode(const std::vector<TokenId>& ids, bool skip_special) const {
  std::string out;
  std::vector<TokenId> run;
  auto flush = [&] {
    if (!run.empty()) out += base_->decode(run, skip_special), run.clear();
  };
  for (auto id : ids) {
    if (id >= base_->vocab_size()) {
      flush();
      if (!skip_special) out += id_to_token(id);
    } else {
      run.push_back(id);
    }
  }
  flush();
  return out;
}

std::int64_t ExtendedTokenizer::vocab_size() const {
  return base_->vocab_size() + static_cast<std::int64_t>(added_.size());
}

std::string ExtendedTokenizer::id_to_token(TokenId id) const {
  if (id >= base_->vocab_size() && id < vocab_size())
    return added_[static_cast<std::size_t>(id - base_->vocab_size())];
  return base_->id_to_token(id);
}

TokenId ExtendedTokenizer::token_to_id(const std::string& token) const {
  for (std::size_t i = 0; i < added_.size(); ++i)
    if (added_[i] == token) return static_cast<TokenId>(base_->vocab_size() + i);
  return base_->token_to_id(token);
}

bool ExtendedTokenizer::is_special(TokenId id) const {
  return id >= base_->vocab_size() || base_->is_special(id);
}

void ExtendedTokenizer::save(const std::string& dir) const {
  base_->save(dir);
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < added_.size(); ++i)
    j[added_[i]] = base_->vocab_size() + static_cast<std::int64_t>(i);
  write_file_atomic((std::filesystem::path(dir) / "added_tokens.json").string(), j.dump(2) + "\n");
}

}  // namespace chosei
