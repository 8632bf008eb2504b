#include "tokenizer/llama2c_tokenizer.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"
#include "base/unicode_text.h"
#include "tokenizer/tokenizer_config.h"

namespace chosei {

namespace {

const char* kSpecialNames[] = {"<unk>", "<s>", "</s>"};
const std::string kMetaSpace = "\xE2\x96\x81";  // ▁

bool byte_piece(const std::string& p, unsigned char* b) {
  unsigned v;
  if (p.size() == 6 && std::sscanf(p.c_str(), "<0x%02X>", &v) == 1)
    return *b = static_cast<unsigned char>(v), true;
  return false;
}

std::string replace_spaces(const std::string& s, const std::string& with) {
  std::string out;
  for (char c : s) {
    if (c == ' ')
      out += with;
    else
      out += c;
  }
  return out;
}

}  // namespace

Llama2cTokenizer::Llama2cTokenizer(const std::string& path) {
  std::string bytes = read_file(path);
  std::size_t pos = 0;
  auto take = [&](void* dst, std::size_t n, const char* what) {
    if (pos + n > bytes.size())
      throw std::runtime_error(path + ": truncated llama2.c tokenizer (token " +
                               std::to_string(pieces_.size()) + ": " + what + ")");
    std::memcpy(dst, bytes.data() + pos, n);
    pos += n;
  };
  std::int32_t max_len = 0;
  take(&max_len, 4, "header");
  if (max_len <= 0 || max_len > 4096)
    throw std::runtime_error(path + ": implausible max_token_length " + std::to_string(max_len));
  while (pos < bytes.size()) {
    float score;
    std::int32_t len;
    take(&score, 4, "score");
    take(&len, 4, "length");
    if (len < 0 || len > max_len)
      throw std::runtime_error(path + ": token " + std::to_string(pieces_.size()) + " has length " +
                               std::to_string(len) + " (max_token_length " +
                               std::to_string(max_len) + ")");
    std::string piece(static_cast<std::size_t>(len), '\0');
    take(piece.data(), piece.size(), "bytes");
    lookup_.emplace(piece, static_cast<TokenId>(pieces_.size()));
    pieces_.push_back(std::move(piece));
    scores_.push_back(score);
  }
  if (pieces_.size() < 3 + 256)
    throw std::runtime_error(path + ": only " + std::to_string(pieces_.size()) + " tokens");
}

std::vector<TokenId> Llama2cTokenizer::encode_plain(const std::string& text) const {
  std::vector<TokenId> tokens;
  if (text.empty()) return tokens;
  tokens.push_back(lookup_.at(" "));  // dummy prefix, as SentencePiece's add_dummy_prefix
  for (const auto& c : decode_utf8(text)) {
    std::string ch = text.substr(c.offset, c.length);
    auto it = lookup_.find(ch);
    if (it != lookup_.end()) {
      tokens.push_back(it->second);
    } else {
      for (unsigned char b : ch) tokens.push_back(static_cast<TokenId>(b) + 3);  // byte fallback
    }
  }
  std::string merged;
  while (true) {
    float best_score = -1e10f;
    TokenId best_id = -1;
    std::size_t best_idx = 0;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      merged = pieces_[tokens[i]] + pieces_[tokens[i + 1]];
      auto it = lookup_.find(merged);
      if (it != lookup_.end() && scores_[it->second] > best_score) {
        best_score = scores_[it->second];
        best_id = it->second;
        best_idx = i;
      }
    }
    if (best_id < 0) break;
    tokens[best_idx] = best_id;
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_idx) + 1);
  }
  return tokens;
}

std::vector<TokenId> Llama2cTokenizer::encode(const std::string& text, bool add_special) const {
  auto ids = encode_plain(text);
  if (add_special) ids.insert(ids.begin(), bos_id());
  return ids;
}

std::string Llama2cTokenizer::decode(const std::vector<TokenId>& ids, bool /*skip_special*/) const {
  std::string out;
  bool first = true;
  for (auto id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= pieces_.size())
      throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary of " +
                              std::to_string(pieces_.size()));
    if (is_special(id)) continue;  // their pieces are "\n<s>\n"-style markers
    std::string piece = pieces_[id];
    unsigned char b;
    if (byte_piece(piece, &b)) piece = std::string(1, static_cast<char>(b));
    if (first && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    first = false;
    out += piece;
  }
  return utf8_lossy(out);
}

std::string Llama2cTokenizer::id_to_token(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= pieces_.size())
    throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary");
  return id <= 2 ? kSpecialNames[id] : replace_spaces(pieces_[id], kMetaSpace);
}

TokenId Llama2cTokenizer::token_to_id(const std::string& token) const {
  for (TokenId i = 0; i < 3; ++i)
    if (token == kSpecialNames[i]) return i;
  std::string piece;
  for (std::size_t i = 0; i < token.size();) {
    if (token.compare(i, kMetaSpace.size(), kMetaSpace) == 0)
      piece += ' ', i += kMetaSpace.size();
    else
      piece += token[i++];
  }
  auto it = lookup_.find(piece);
  return it == lookup_.end() ? -1 : it->second;
}

std::string Llama2cTokenizer::to_tokenizer_json() const {
  using nlohmann::ordered_json;
  ordered_json vocab = ordered_json::object();
  for (TokenId i = 0; i < static_cast<TokenId>(pieces_.size()); ++i) vocab[id_to_token(i)] = i;
  // Merges as transformers' LlamaConverter generates them from piece scores.
  struct Merge {
    TokenId left, right;
    float score;
  };
  std::vector<Merge> merges;
  for (TokenId id = 3; id < static_cast<TokenId>(pieces_.size()); ++id) {
    const std::string& p = pieces_[id];
    std::vector<Merge> local;
    for (const auto& c : decode_utf8(p)) {
      if (c.offset == 0) continue;
      auto l = lookup_.find(p.substr(0, c.offset)), r = lookup_.find(p.substr(c.offset));
      if (l != lookup_.end() && r != lookup_.end() && l->second > 2 && r->second > 2)
        local.push_back({l->second, r->second, scores_[id]});
    }
    std::sort(local.begin(), local.end(), [](const Merge& a, const Merge& b) {
      return std::tie(a.left, a.right) < std::tie(b.left, b.right);
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(merges.begin(), merges.end(),
                   [](const Merge& a, const Merge& b) { return a.score > b.score; });
  ordered_json merge_list = ordered_json::array();
  for (const auto& m : merges) merge_list.push_back({id_to_token(m.left), id_to_token(m.right)});
  ordered_json added = ordered_json::array();
  for (TokenId i = 0; i < 3; ++i)
    added.push_back({{"id", i},
                     {"content", kSpecialNames[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  ordered_json j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "Prepend"}, {"prepend", kMetaSpace}},
          {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kMetaSpace}}}}}},
      {"pre_tokenizer", nullptr},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single",
         {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"pair",
         {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
          {{"SpecialToken", {{"id", "<s>"}, {"type_id", 1}}}},
          {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
        {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"}, {"pattern", {{"String", kMetaSpace}}}, {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}},
          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", "<unk>"},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", true},
        {"byte_fallback", true},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merge_list}}}};
  return j.dump(2) + "\n";
}

void Llama2cTokenizer::save(const std::string& dir) const {
  write_file_atomic((std::filesystem::path(dir) / "tokenizer.json").string(), to_tokenizer_json());
}

}  // namespace chosei
