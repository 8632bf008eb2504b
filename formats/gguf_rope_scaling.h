#pragma once
// RoPE scaling in GGUF metadata, both ways. llama.cpp keeps linear and YaRN scaling as
// `ARCH.rope.scaling.{type,factor,original_context_length}`, and Llama 3's band-wise
// scaling as a `rope_freqs.weight` tensor of per-frequency divisors
// (convert_hf_to_gguf.py LlamaModel.generate_extra_tensors), and Phi-3's LongRoPE as the
// `rope_factors_short.weight` / `rope_factors_long.weight` tensors beside
// `ARCH.rope.scaling.{original_context_length,attn_factor}` (Phi3MiniModel).

#include <torch/torch.h>

#include "formats/gguf_reader.h"
#include "formats/gguf_writer.h"
#include "model/model_config.h"

namespace chosei {

// Sets c.rope's type and factors from the file; the llama3 parameters are those whose
// divisors reproduce rope_freqs.weight. Throws naming the key or tensor it cannot read.
void read_gguf_rope_scaling(const GgufReader& r, const std::string& arch, ModelConfig& c);

// Writes c.rope's scaling: metadata keys and the tensors it needs; returns how many tensors.
int write_gguf_rope_scaling(GgufWriter& w, const std::string& arch, const ModelConfig& c);

// The tensors that hold RoPE scaling rather than a parameter.
bool is_gguf_rope_scaling_tensor(const std::string& name);

// Llama 3's divisors: inv_freq / rope_freqs = the scaled frequencies, (head_dim / 2,) fp32.
torch::Tensor llama3_rope_freqs(const ModelConfig& c);

}  // namespace chosei
