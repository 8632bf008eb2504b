#pragma once
// What a GGUF file does not say and llama.cpp fixes per family (the registry's gguf_*
// fields): which layers slide and which go without RoPE, the sliding layers' RoPE base,
// Gemma 3's query scale. One function sets them on import; export refuses a config that
// differs from what it would set, since llama.cpp would run another model.

#include "model/model_config.h"

namespace chosei {

// c holds what the file says (layers, heads, head_dim, the window's size); sets the rest.
void apply_llama_cpp_layout(ModelConfig& c);

// Throws std::invalid_argument naming the first field llama.cpp would run otherwise.
void check_llama_cpp_layout(const ModelConfig& c);

}  // namespace chosei
