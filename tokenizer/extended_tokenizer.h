#pragma once
// ExtendedTokenizer: a base tokenizer plus added special tokens with ids after the base
// vocabulary, as HF's slow tokenizers keep them in added_tokens.json. Used when fine-tuning
// a model whose tokenizer lacks the chat template's tokens (<|im_start|>, <|im_end|>): the
// added strings are matched in encode() and never in encode_plain(), like any special token.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

class ExtendedTokenizer : public Tokenizer {
 public:
  // `added` are given consecutive ids from base->vocab_size().
  ExtendedTokenizer(std::shared_ptr<const Tokenizer> base, const std::vector<std::string>& added);
  // Reads added_tokens.json ({"<|im_start|>": 512, ...}); ids must continue the base's.
  static std::unique_ptr<ExtendedTokenizer> from_added_tokens_json(
      std::shared_ptr<const Tokenizer> base, const std::string& path);

  std::vector<TokenId> encode(const std::string& text, bool add_special = true) const override;
  std::vector<TokenId> encode_plain(const std::string& text) const override;
  std::string decode(const std::vector<TokenId>& ids, bool skip_special = false) const override;
  std::int64_t vocab_size() const override;
  std::string id_to_token(TokenId id) const override;
  TokenId token_to_id(const std::string& token) const override;
  bool is_special(TokenId id) const override;
  TokenId bos_id() const override { return base_->bos_id(); }
  TokenId eos_id() const override { return base_->eos_id(); }
  void save(const std::string& dir) const override;  // base files + added_tokens.json
  std::string kind() const override { return base_->kind() + "+added_tokens"; }

 private:
  std::shared_ptr<const Tokenizer> base_;
  std::vector<std::string> added_;  // id = base vocab + index
};

}  // namespace chosei
