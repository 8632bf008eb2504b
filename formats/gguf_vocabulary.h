#pragma once
// GgufVocabulary: a model directory's tokenizer as llama.cpp's GGUF keys describe it
// (tokenizer.ggml.*): a SentencePiece tokenizer.model or a SentencePiece-style
// tokenizer.json (byte fallback, "▁" for spaces) becomes model "llama" with pieces, scores
// and token types; a byte-level BPE tokenizer.json (GPT-2, Llama 3, Qwen2) becomes model
// "gpt2" with its merges and the pre-tokenizer llama.cpp must use. Both read straight from
// the files, so what llama.cpp gets is what the files say, not a re-derivation.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace chosei {

class GgufWriter;
class GgufReader;
class Tokenizer;

// llama_token_type values.
enum class GgufTokenType : std::int32_t {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
};

struct GgufVocabulary {
  std::string model;  // "llama" | "gpt2"
  std::string pre;    // tokenizer.ggml.pre: "default" (llama), "gpt-2", "llama-bpe", "qwen2"
  std::vector<std::string> tokens;
  std::vector<float> scores;        // "llama" only
  std::vector<std::int32_t> types;  // GgufTokenType values
  std::vector<std::string> merges;  // "gpt2" only: "left right", rank order
  bool add_space_prefix = true;     // "llama": SentencePiece's add_dummy_prefix
  std::int64_t bos = -1, eos = -1, unk = -1, pad = -1, eot = -1;
  bool add_bos = false, add_eos = false;
  std::string chat_template;  // Jinja; empty: none
};

// Reads `dir`'s tokenizer.json (else tokenizer.model). `rows` is the model's embedding
// rows: ids the tokenizer lacks up to there become unused "[PAD<id>]" pieces, as
// llama.cpp's converter writes them. Throws std::invalid_argument naming the file and the
// unsupported part (a WordPiece model, an unknown pre-tokenizer regex, more tokens than rows).
GgufVocabulary read_gguf_vocabulary(const std::string& dir, std::int64_t rows);

// Fills the special ids, add_bos/add_eos (by encoding a character) from the tokenizer as
// chosei loaded it, so llama.cpp adds exactly what chosei adds.
void set_special_tokens(GgufVocabulary& vocab, const Tokenizer& tokenizer,
                        const std::vector<std::int64_t>& eos_ids);

// tokenizer.ggml.pre names and the Split regex each stands for in a tokenizer.json (as
// llama-vocab.cpp names them): the one table export and import both read.
const std::map<std::string, std::string>& gguf_split_pre_tokenizers();

void write_vocabulary(GgufWriter& writer, const GgufVocabulary& vocab);
GgufVocabulary read_vocabulary(const GgufReader& reader);

}  // namespace chosei
