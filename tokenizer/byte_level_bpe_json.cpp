// Key order as HF tokenizers writes tokenizer.json.

#include "tokenizer/byte_level_bpe_json.h"

namespace chosei {

using nlohmann::ordered_json;

ordered_json added_token_json(std::int64_t id, const std::string& content, bool special) {
  return {{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", special}};
}

ordered_json byte_level_json() {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", false},
          {"trim_offsets", true},
          {"use_regex", true}};
}

ordered_json byte_level_bpe_json(const ByteLevelBpeJson& p) {
  ordered_json vocab = ordered_json::object(), merges = ordered_json::array();
  for (std::size_t i = 0; i < p.tokens.size(); ++i) vocab[p.tokens[i]] = i;
  for (const auto& [a, b] : p.merges) merges.push_back({a, b});
  ordered_json post = p.post_processor.is_null() ? ordered_json{{"type", "ByteLevel"},
                                                                {"add_prefix_space", false},
                                                                {"trim_offsets", false},
                                                                {"use_regex", true}}
                                                 : p.post_processor;
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", p.added_tokens},
          {"normalizer", nullptr},
          {"pre_tokenizer", p.pre_tokenizer.is_null() ? byte_level_json() : p.pre_tokenizer},
          {"post_processor", post},
          {"decoder", byte_level_json()},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", p.ignore_merges},
            {"vocab", vocab},
            {"merges", merges}}}};
}

}  // namespace chosei
