#pragma once
// The tokenizer.json of a byte-level BPE model (GPT-2 style), written the way HF tokenizers
// serializes one: shared by BPE training and by GGUF import, so both write the same layout.

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace chosei {

struct ByteLevelBpeJson {
  std::vector<std::string> tokens;                          // by id
  std::vector<std::pair<std::string, std::string>> merges;  // rank order
  nlohmann::ordered_json added_tokens = nlohmann::ordered_json::array();
  nlohmann::ordered_json pre_tokenizer;   // null: ByteLevel with the GPT-2 regex
  nlohmann::ordered_json post_processor;  // null: ByteLevel (adds nothing)
  bool ignore_merges = false;             // Llama 3: a word in the vocabulary wins
};

// One added_tokens entry.
nlohmann::ordered_json added_token_json(std::int64_t id, const std::string& content, bool special);
// ByteLevel pre-tokenizer/decoder with the GPT-2 regex.
nlohmann::ordered_json byte_level_json();
nlohmann::ordered_json byte_level_bpe_json(const ByteLevelBpeJson& parts);

}  // namespace chosei
