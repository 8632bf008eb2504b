#pragma once
// Converts a llama2.c checkpoint (karpathy/llama2.c: the legacy header of 7 int32 followed
// by float32 weights, or the version-1 "ak42" fp32 export) into a Hugging Face Llama model
// directory. q_proj/k_proj rows are permuted from llama2.c's interleaved RoPE pairs to HF's
// rotate_half layout; a shared classifier stays tied (tie_word_embeddings).

#include <string>

namespace chosei {

// Writes `out_dir` (config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
// generation_config.json). Throws std::runtime_error naming the file and what is wrong on a
// truncated, oversized or unsupported checkpoint.
void import_llama2c(const std::string& weights_path, const std::string& tokenizer_path,
                    const std::string& out_dir);

}  // namespace chosei
