#pragma once
// SentencePieceTokenizer: a SentencePiece tokenizer.model through Google's library
// (Debian's libsentencepiece, reached through the shim module described in
// sentencepiece_shim.h). Control symbols written in the text (<s>, </s>) are ordinary
// text, as SentencePiece treats them; BOS/EOS are added as tokenizer_config.json says
// (LlamaTokenizer's defaults: BOS yes, EOS no).

#include <string>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_config.h"

struct ChoseiSpmApi;

namespace chosei {

class SentencePieceTokenizer : public Tokenizer {
 public:
  // Throws std::runtime_error naming the path when it is not a valid model, or when the
  // shim module cannot be found (set CHOSEI_SENTENCEPIECE_MODULE to its path).
  SentencePieceTokenizer(const std::string& path, const TokenizerConfig& config);
  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<TokenId> encode(const std::string& text, bool add_special = true) const override;
  std::vector<TokenId> encode_plain(const std::string& text) const override;
  std::string decode(const std::vector<TokenId>& ids, bool skip_special = false) const override;
  std::int64_t vocab_size() const override;
  std::string id_to_token(TokenId id) const override;
  TokenId token_to_id(const std::string& token) const override;
  bool is_special(TokenId id) const override;
  TokenId bos_id() const override;
  TokenId eos_id() const override;
  void save(const std::string& dir) const override;
  std::string kind() const override { return "sentencepiece"; }

 private:
  const ChoseiSpmApi* api_;
  void* handle_;
  std::string model_bytes_;
  bool add_bos_, add_eos_;
};

}  // namespace chosei
