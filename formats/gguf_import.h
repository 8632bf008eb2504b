#pragma once
// GGUF import: a llama.cpp file (arch llama or qwen2; F32, F16 or Q8_0 tensors) back into a
// chosei/HF model directory: config.json from the llama.* / qwen2.* keys, the weights
// decoded to f32 with llama.cpp's RoPE row order undone, and the tokenizer files its
// tokenizer.ggml.* keys stand for (gguf_tokenizer_files.h).

#include <string>

#include "formats/dtype.h"

namespace chosei {

struct GgufImportSummary {
  std::string architecture;
  std::int64_t tensors = 0;
};

// Throws std::runtime_error / std::invalid_argument naming the file and the missing key,
// tensor or unsupported part.
// The weights are written in `dtype` (dequantized values rounded to it when not F32).
GgufImportSummary import_gguf(const std::string& gguf_path, const std::string& out_dir,
                              DType dtype = DType::F32);

}  // namespace chosei
