#pragma once
// RoPE scaling in GGUF metadata, both ways. llama.cpp keeps linear and YaRN scaling as
// `ARCH.rope.scaling.{type,factor,original_context_length}`, and Llama 3's band-wise
// scaling as a `rope_freqs.weight` tensor of per-frequency divisors
// (convert_hf_to_gguf.py LlamaModel.generate_extra_tensors).

#include <torch/torch.h>

#include "formats/gguf_reader.h"
#include "formats/gguf_writer.h"
#include "model/model_config.h"

namespace chosei {

// Sets c.rope's type and factors from the file; the llama3 parameters are those whose
// divisors reproduce rope_freqs.weight. Throws naming the key or tensor it cannot read.
void read_gguf_rope_scaling(const GgufReader& r, const std::string& arch, ModelConfig& c);

// Writes c.rope's scaling: metadata keys, or the rope_freqs tensor for llama3.
void write_gguf_rope_scaling(GgufWriter& w, const std::string& arch, const ModelConfig& c);

// Llama 3's divisors: inv_freq / rope_freqs = the scaled frequencies, (head_dim / 2,) fp32.
torch::Tensor llama3_rope_freqs(const ModelConfig& c);

}  // namespace chosei
