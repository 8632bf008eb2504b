#include "formats/gguf_layer_layout.h"

#include <stdexcept>

namespace chosei {

void apply_llama_cpp_layout(ModelConfig& c) {
  const Architecture& a = c.architecture();
  const auto L = static_cast<std::size_t>(c.num_hidden_layers);
  if (c.sliding_window > 0) {
    c.sliding_layers.assign(L, true);
    if (a.gguf_global_every > 0)
      for (std::size_t i = 0; i < L; ++i) c.sliding_layers[i] = (i + 1) % a.gguf_global_every != 0;
  }
  if (a.gguf_nope_every > 0) {
    c.nope_layers.assign(L, false);
    for (std::size_t i = 0; i < L; ++i) c.nope_layers[i] = (i + 1) % a.gguf_nope_every == 0;
  }
  if (a.gguf_local_rope_theta > 0) c.rope_local.theta = a.gguf_local_rope_theta;
  // llama.cpp scales Gemma 3's scores by key_length^-1/2, but 27B's (62 layers) by
  // (hidden / heads)^-1/2: what each checkpoint's query_pre_attn_scalar says.
  if (a.query_pre_attn_scalar)
    c.query_pre_attn_scalar = static_cast<double>(
        c.num_hidden_layers == 62 ? c.hidden_size / c.num_attention_heads : c.effective_head_dim());
}

void check_llama_cpp_layout(const ModelConfig& c) {
  ModelConfig runs = c;
  apply_llama_cpp_layout(runs);
  const auto& name = c.architecture().gguf_name;
  auto refuse = [&](const std::string& what) {
    throw std::invalid_argument("GGUF export: llama.cpp would run " + name + " with " + what);
  };
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
    if (runs.layer_is_sliding(i) != c.layer_is_sliding(i))
      refuse(std::string("layer ") + std::to_string(i) +
             (runs.layer_is_sliding(i) ? " sliding" : " global") + " (layer_types differ)");
    if (runs.layer_uses_rope(i) != c.layer_uses_rope(i))
      refuse("layer " + std::to_string(i) +
             (runs.layer_uses_rope(i) ? " rotating" : " without RoPE") +
             " (no_rope_layers differ)");
  }
  if (runs.rope_local.theta != c.rope_local.theta && c.architecture().local_rope)
    refuse("local layers' RoPE base " + std::to_string(runs.rope_local.theta) + ", not " +
           std::to_string(c.rope_local.theta));
  if (runs.query_pre_attn_scalar != c.query_pre_attn_scalar)
    refuse("query_pre_attn_scalar " + std::to_string(runs.query_pre_attn_scalar) + ", not " +
           std::to_string(c.query_pre_attn_scalar));
}

}  // namespace chosei
