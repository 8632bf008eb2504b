#include "generate/token_bytes.h"

#include <cstdio>
#include <stdexcept>

#include "tokenizer/byte_level.h"

namespace chosei {

namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

// SentencePiece's byte-fallback spelling "<0xHH>".
bool byte_fallback(const std::string& piece, std::string* out) {
  unsigned value = 0;
  char tail = 0;
  if (piece.size() != 6 || std::sscanf(piece.c_str(), "<0x%2X%c", &value, &tail) != 2 ||
      tail != '>')
    return false;
  *out = std::string(1, static_cast<char>(value));
  return true;
}

}  // namespace

// Decoding after an anchor token keeps the leading space that SentencePiece strips at the
// start of a text; a lone piece of a multi-byte character decodes to U+FFFD, so those are
// read from the vocabulary's spelling (byte fallback or GPT-2's byte map) instead.
TokenBytes::TokenBytes(const Tokenizer& tok) {
  const auto V = tok.vocab_size();
  bytes_.resize(static_cast<std::size_t>(V));
  usable_.assign(static_cast<std::size_t>(V), 0);
  const auto anchor_ids = tok.encode_plain("a");
  const std::string anchor_text = tok.decode(anchor_ids, true);
  for (TokenId id = 0; id < V; ++id) {
    if (tok.is_special(id)) continue;
    std::string piece;
    try {
      piece = tok.id_to_token(id);
    } catch (const std::out_of_range&) {
      continue;
    }
    std::string bytes;
    if (!byte_fallback(piece, &bytes)) {
      auto ids = anchor_ids;
      ids.push_back(id);
      const std::string text = tok.decode(ids, true);
      if (text.compare(0, anchor_text.size(), anchor_text) != 0) continue;
      bytes = text.substr(anchor_text.size());
      if (bytes.find(kReplacement) != std::string::npos) {
        std::string raw;
        if (!chars_to_bytes(piece, &raw) || piece.find(kReplacement) != std::string::npos) continue;
        bytes = std::move(raw);
      }
    }
    if (bytes.empty()) continue;
    bytes_[static_cast<std::size_t>(id)] = std::move(bytes);
    usable_[static_cast<std::size_t>(id)] = 1;
  }
}

}  // namespace chosei
