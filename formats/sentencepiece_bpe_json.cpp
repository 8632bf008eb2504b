#include "formats/sentencepiece_bpe_json.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "formats/gguf_tokenizer_files.h"
#include "tokenizer/byte_level_bpe_json.h"

namespace chosei {

namespace {

using json = nlohmann::json;  // sorted keys: a 262k-entry vocab object builds in n log n

bool has_type(const GgufVocabulary& v, std::size_t id, GgufTokenType type) {
  return v.types[id] == static_cast<std::int32_t>(type);
}

// Byte offsets where a UTF-8 piece may be cut in two (code point starts after the first).
std::vector<std::size_t> cut_points(const std::string& piece) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < piece.size(); ++i)
    if ((static_cast<unsigned char>(piece[i]) & 0xC0) != 0x80) cuts.push_back(i);
  return cuts;
}

struct Merge {
  float score;
  std::int64_t piece, left, right;
};

// transformers' SentencePieceExtractor: every (left, right) split of a mergeable piece, by
// the piece's score (best first), ties by the piece's id, then by the parts' ids.
json merges_of(const GgufVocabulary& v, const std::unordered_map<std::string, std::int64_t>& ids) {
  std::vector<Merge> merges;
  for (std::size_t id = 0; id < v.tokens.size(); ++id) {
    if (!has_type(v, id, GgufTokenType::NORMAL) && !has_type(v, id, GgufTokenType::USER_DEFINED))
      continue;
    const std::string& piece = v.tokens[id];
    for (std::size_t cut : cut_points(piece)) {
      auto left = ids.find(piece.substr(0, cut)), right = ids.find(piece.substr(cut));
      if (left == ids.end() || right == ids.end()) continue;
      merges.push_back({v.scores.empty() ? 0.0f : v.scores[id], static_cast<std::int64_t>(id),
                        left->second, right->second});
    }
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.piece != b.piece) return a.piece < b.piece;
    return std::make_pair(a.left, a.right) < std::make_pair(b.left, b.right);
  });
  json out = json::array();
  for (const auto& m : merges)
    out.push_back(json::array(
        {v.tokens[static_cast<std::size_t>(m.left)], v.tokens[static_cast<std::size_t>(m.right)]}));
  return out;
}

json normalizer_of(const GgufVocabulary& v) {
  json replace = {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}};
  if (!v.add_space_prefix) return replace;
  return {{"type", "Sequence"},
          {"normalizers", json::array({{{"type", "Prepend"}, {"prepend", "\u2581"}}, replace})}};
}

json decoder_of(const GgufVocabulary& v) {
  json steps =
      json::array({{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                   {{"type", "ByteFallback"}},
                   {{"type", "Fuse"}}});
  if (v.add_space_prefix)
    steps.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  return {{"type", "Sequence"}, {"decoders", steps}};
}

}  // namespace

json sentencepiece_bpe_json(const GgufVocabulary& v) {
  std::unordered_map<std::string, std::int64_t> ids;
  json vocab = json::object();
  json added = json::array();
  bool byte_fallback = false;
  for (std::size_t id = 0; id < v.tokens.size(); ++id) {
    ids.emplace(v.tokens[id], static_cast<std::int64_t>(id));
    vocab[v.tokens[id]] = id;
    byte_fallback |= has_type(v, id, GgufTokenType::BYTE);
    const bool control = has_type(v, id, GgufTokenType::CONTROL) ||
                         has_type(v, id, GgufTokenType::UNKNOWN) ||
                         static_cast<std::int64_t>(id) == v.unk;
    if (control || has_type(v, id, GgufTokenType::USER_DEFINED))
      added.push_back(json(added_token_json(static_cast<std::int64_t>(id), v.tokens[id], control)));
  }
  if (vocab.size() != v.tokens.size())
    throw std::invalid_argument("GGUF import: the vocabulary holds a piece twice");
  const std::string unk = v.unk >= 0 ? v.tokens.at(static_cast<std::size_t>(v.unk)) : "";
  json model = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", unk.empty() ? json(nullptr) : json(unk)},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", true},
                {"byte_fallback", byte_fallback},
                {"ignore_merges", false},
                {"vocab", vocab},
                {"merges", merges_of(v, ids)}};
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", normalizer_of(v)},
          {"pre_tokenizer", nullptr},
          {"post_processor", json(gguf_post_processor(v))},
          {"decoder", decoder_of(v)},
          {"model", model}};
}

}  // namespace chosei
