#pragma once
// HfTokenizer: a Hugging Face tokenizer.json with a BPE model (byte-level like GPT-2,
// Llama 3 and Qwen2, or SentencePiece-style with byte fallback like Llama 2), its
// normalizer, pre-tokenizer, post-processor, decoder and added tokens. Encodes
// token-for-token like the `tokenizers` library.

#include <memory>
#include <string>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_config.h"
#include "tokenizer/tokenizer_json_parts.h"

namespace chosei {

class HfTokenizer : public Tokenizer {
 public:
  // `json_text` is the tokenizer.json content; `config` supplies BOS/EOS names.
  // Throws std::invalid_argument naming `source` and the unsupported or malformed part.
  HfTokenizer(const std::string& json_text, const TokenizerConfig& config,
              const std::string& source);
  static std::unique_ptr<HfTokenizer> from_file(const std::string& path,
                                                const TokenizerConfig& config);

  std::vector<TokenId> encode(const std::string& text, bool add_special = true) const override;
  std::vector<TokenId> encode_plain(const std::string& text) const override;
  std::string decode(const std::vector<TokenId>& ids, bool skip_special = false) const override;
  std::int64_t vocab_size() const override;
  std::string id_to_token(TokenId id) const override;
  TokenId token_to_id(const std::string& token) const override;
  bool is_special(TokenId id) const override;
  TokenId bos_id() const override { return bos_id_; }
  TokenId eos_id() const override { return eos_id_; }
  void save(const std::string& dir) const override;
  std::string kind() const override { return "tokenizer.json"; }

 private:
  void encode_segment(std::string_view text, bool first_segment, std::vector<TokenId>& out) const;

  std::string json_text_;
  std::unique_ptr<BpeModel> model_;
  AddedVocabulary added_;
  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  PostProcessor post_processor_;
  Decoder decoder_;
  TokenId bos_id_ = -1, eos_id_ = -1;
};

}  // namespace chosei
