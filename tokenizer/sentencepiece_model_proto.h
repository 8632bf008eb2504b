#pragma once
// SentencePieceModelProto: the pieces of a SentencePiece tokenizer.model (a serialized
// sentencepiece.ModelProto) with their scores and types, and the normalizer's
// add_dummy_prefix, read from the protobuf wire format directly. Google's library (the
// tokenizer itself) exposes neither scores nor types through the calls chosei uses, and a
// GGUF vocabulary needs both.

#include <cstdint>
#include <string>
#include <vector>

namespace chosei {

struct SentencePiecePiece {
  std::string piece;
  float score = 0.0f;
  // sentencepiece.ModelProto.SentencePiece.Type: NORMAL 1, UNKNOWN 2, CONTROL 3,
  // USER_DEFINED 4, UNUSED 5, BYTE 6.
  std::int32_t type = 1;
};

struct SentencePieceModelProto {
  std::vector<SentencePiecePiece> pieces;
  bool add_dummy_prefix = true;
  std::int32_t model_type = 1;  // TrainerSpec.ModelType: UNIGRAM 1, BPE 2, WORD 3, CHAR 4
};

// Throws std::invalid_argument naming `source` when the bytes are not a ModelProto.
SentencePieceModelProto parse_sentencepiece_model(const std::string& bytes,
                                                  const std::string& source);

}  // namespace chosei
