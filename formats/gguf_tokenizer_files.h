#pragma once
// The tokenizer files a GGUF vocabulary stands for, written into a model directory:
// "gpt2" → tokenizer.json (byte-level BPE with the merges and the named pre-tokenizer's
// regex), "llama" → tokenizer.json as transformers converts a SentencePiece BPE model
// (formats/sentencepiece_bpe_json.h) beside tokenizer.model (for SentencePiece users: a
// SentencePiece BPE ModelProto with the pieces, scores and types; identity normalization without
// SentencePiece's whitespace collapsing, since a GGUF file does not record it and llama.cpp never
// collapses), plus tokenizer_config.json (special tokens, add_bos/add_eos, chat template).

#include <nlohmann/json.hpp>
#include <string>

#include "formats/gguf_vocabulary.h"

namespace chosei {

// Throws std::invalid_argument naming the model or pre-tokenizer it cannot express.
void write_tokenizer_files(const GgufVocabulary& vocab, const std::string& dir);

// The TemplateProcessing post-processor that adds BOS / EOS as the vocabulary says (null
// when it adds neither), for either tokenizer.json a GGUF vocabulary becomes.
nlohmann::ordered_json gguf_post_processor(const GgufVocabulary& vocab);

// The ModelProto bytes for a "llama" vocabulary (exposed for tests).
std::string sentencepiece_model_bytes(const GgufVocabulary& vocab);

}  // namespace chosei
