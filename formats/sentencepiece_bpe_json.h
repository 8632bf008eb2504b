#pragma once
// A SentencePiece BPE vocabulary (a GGUF "llama" tokenizer: pieces, scores, types) as a
// Hugging Face tokenizer.json, the way transformers' SpmConverter writes Llama's and
// Gemma's: BPE with byte fallback whose merges are every split of a piece into two pieces,
// ranked by the merged piece's score (SentencePiece merges the best-scoring pair first);
// spaces as U+2581; control and user-defined pieces as added tokens, so that "<start_of_turn>"
// in a rendered chat becomes its id.

#include <nlohmann/json.hpp>

#include "formats/gguf_vocabulary.h"

namespace chosei {

nlohmann::json sentencepiece_bpe_json(const GgufVocabulary& vocab);

}  // namespace chosei
