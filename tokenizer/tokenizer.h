#pragma once
// Tokenizer: text to token ids and back, whatever the file format behind it
// (tokenizer.json, SentencePiece tokenizer.model, llama2.c tokenizer.bin).
//
//   auto tok = load_tokenizer("models/my-model");      // see tokenizer_loader.h
//   auto ids = tok->encode("Hello <|im_end|>");         // specials matched, BOS/EOS added
//   auto raw = tok->encode_plain("Hello <|im_end|>");   // all ordinary text, nothing added
//   std::string text = tok->decode(ids);
//
// Implementations are immutable after loading and safe to share between threads.

#include <cstdint>
#include <string>
#include <vector>

namespace chosei {

using TokenId = std::int32_t;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Encodes like the reference library's encode(text): special tokens written in the text
  // are matched as that library matches them, and with `add_special` the post-processor's
  // tokens (BOS/EOS) are added.
  virtual std::vector<TokenId> encode(const std::string& text, bool add_special = true) const = 0;
  // Encodes `text` as ordinary text: special-token strings stay characters and nothing is
  // added. Chat templates use it for message content, so a user cannot inject a turn.
  virtual std::vector<TokenId> encode_plain(const std::string& text) const = 0;
  // Decodes to valid UTF-8 (invalid byte sequences become U+FFFD).
  virtual std::string decode(const std::vector<TokenId>& ids, bool skip_special = false) const = 0;

  virtual std::int64_t vocab_size() const = 0;
  // The token's string as the vocabulary spells it; throws std::out_of_range when invalid.
  virtual std::string id_to_token(TokenId id) const = 0;
  // -1 when absent.
  virtual TokenId token_to_id(const std::string& token) const = 0;
  virtual bool is_special(TokenId id) const = 0;
  virtual TokenId bos_id() const = 0;  // -1 when none
  virtual TokenId eos_id() const = 0;  // -1 when none

  // Writes this tokenizer's files into `dir` (tokenizer.json or tokenizer.model).
  virtual void save(const std::string& dir) const = 0;
  // "tokenizer.json", "sentencepiece" or "llama2c", for messages and `model info`.
  virtual std::string kind() const = 0;
};

}  // namespace chosei
