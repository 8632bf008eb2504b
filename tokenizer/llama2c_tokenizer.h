#pragma once
// Llama2cTokenizer: llama2.c's tokenizer.bin (int32 max_token_length, then per token a
// float32 score, an int32 byte length and the bytes; ids 0/1/2 are <unk>/<s>/</s>).
// Encoding follows llama2.c's run.c: a dummy-prefix space, one symbol per UTF-8 character
// (bytes + 3 for characters outside the vocabulary), then repeatedly merge the adjacent
// pair whose concatenation has the highest score.
//
// save() writes an equivalent Hugging Face tokenizer.json (SentencePiece-style BPE with
// byte fallback, merges ranked by score, as transformers' LlamaConverter builds them), so
// an imported llama2.c model directory loads in the HF ecosystem.

#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

class Llama2cTokenizer : public Tokenizer {
 public:
  // Throws std::runtime_error naming the path on a truncated or malformed file.
  explicit Llama2cTokenizer(const std::string& path);

  std::vector<TokenId> encode(const std::string& text, bool add_special = true) const override;
  std::vector<TokenId> encode_plain(const std::string& text) const override;
  std::string decode(const std::vector<TokenId>& ids, bool skip_special = false) const override;
  std::int64_t vocab_size() const override { return static_cast<std::int64_t>(pieces_.size()); }
  std::string id_to_token(TokenId id) const override;
  TokenId token_to_id(const std::string& token) const override;
  bool is_special(TokenId id) const override { return id >= 0 && id <= 2; }
  TokenId bos_id() const override { return 1; }
  TokenId eos_id() const override { return 2; }
  void save(const std::string& dir) const override;
  std::string kind() const override { return "llama2c"; }

  // The equivalent tokenizer.json text.
  std::string to_tokenizer_json() const;

 private:
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, TokenId> lookup_;
};

}  // namespace chosei
