#pragma once
// Hugging Face parameter names to llama.cpp's GGUF tensor names (gguf-py's
// TENSOR_MAPPINGS), for any family of the architecture registry: the norms' names follow
// the block's norm placement (a Llama's post_attention_layernorm is llama.cpp's ffn_norm, a
// Gemma's is post_attention_norm).

#include <string>

#include "model/architecture.h"

namespace chosei {

// "model.layers.3.mlp.up_proj.weight" -> "blk.3.ffn_up.weight"; "" when the parameter has
// no GGUF tensor (a score head).
std::string gguf_tensor_name(const std::string& hf_name, const Architecture& arch);

// Whether a GGUF tensor is an RMSNorm gain (stored + 1 for Architecture::gguf_norms_plus_one).
bool is_gguf_norm(const std::string& gguf_name);

}  // namespace chosei
