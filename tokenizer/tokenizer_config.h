#pragma once
// TokenizerConfig: what a model directory's tokenizer_config.json says about its tokenizer
// beyond the vocabulary: BOS/EOS/PAD tokens, whether BOS/EOS are added, and the chat
// template (a Jinja string in HF; chosei recognizes the common ones by name).

#include <optional>
#include <string>

namespace chosei {

struct TokenizerConfig {
  std::string bos_token, eos_token, pad_token, unk_token;  // empty: unset
  std::optional<bool> add_bos_token, add_eos_token;
  std::string chat_template;  // the Jinja source as stored
  std::string original_json;  // kept so a save round-trips fields we do not model
};

// Missing file: an empty config. Invalid JSON: std::invalid_argument naming the file.
TokenizerConfig load_tokenizer_config(const std::string& path);
std::string tokenizer_config_to_json(const TokenizerConfig& config);

}  // namespace chosei
