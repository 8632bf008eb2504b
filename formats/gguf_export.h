#pragma once
// GGUF export for llama.cpp and Ollama: a chosei/HF model directory (Llama, Mistral or
// Qwen2; a LoRA adapter merged into its base first) with its tokenizer and chat template
// as one .gguf file, tensors named and laid out as llama.cpp's convert_hf_to_gguf.py
// writes them.

#include <map>
#include <string>

#include "formats/gguf_format.h"
#include "formats/model_dir.h"
#include "model/lora.h"

namespace chosei {

struct GgufExportOptions {
  // F32, F16 or Q8_0 for matrices (a matrix whose rows are not a multiple of 32 falls back
  // to F16 under Q8_0, as llama.cpp's converter does); vectors (norms, biases) stay F32.
  GgmlType type = GgmlType::F16;
  // "q4_k_m" or "q5_k_m": llama-quantize's mixes (matrices Q4_K / Q5_K, the output matrix
  // and some attn_v / ffn_down Q6_K; rows not a multiple of 256 fall back to Q5_0, Q5_1,
  // Q8_0 as llama.cpp does). Overrides `type` for matrices.
  std::string mix;
  std::string name;  // general.name; empty: the directory's name
};

struct GgufExportSummary {
  std::string architecture;  // general.architecture
  std::int64_t tensors = 0, bytes = 0;
  std::int64_t quantized = 0, kept_f16 = 0;   // Q8_0 matrices, and those that fell back
  std::map<std::string, std::int64_t> types;  // tensors per ggml type written
};

// `model` as loaded (adapters merged here when present); its tokenizer is read from
// `tokenizer_dir`'s files. Throws std::invalid_argument naming what cannot be exported.
GgufExportSummary export_gguf(LoadedModel& model, const std::string& tokenizer_dir,
                              const std::string& out, const GgufExportOptions& options);

// The LoRA adapters attached to `model` (not merged) alone, as llama.cpp's LoRA GGUF
// (general.type "adapter", adapter.lora.alpha, "<tensor>.lora_a" (r, in) and ".lora_b"
// (out, r) per adapted matrix, Llama's q/k rows of B in llama.cpp's RoPE order): loaded with
// `llama-cli -m base.gguf --lora adapter.gguf`, where llama.cpp scales B A by alpha / r as
// chosei does. `type` F32 or F16. Throws std::invalid_argument for an adapter llama.cpp
// cannot apply (whole modules saved: embeddings grown for added tokens).
GgufExportSummary export_gguf_lora_adapter(LoadedModel& model, const LoraConfig& adapter,
                                           const std::string& out,
                                           const GgufExportOptions& options);

// The GGUF architecture for a config.json model_type (the registry's gguf_name); throws
// std::invalid_argument for a family chosei does not know.
std::string gguf_architecture(const std::string& model_type);

}  // namespace chosei
