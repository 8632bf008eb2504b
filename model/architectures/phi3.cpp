// Phi-3 / 3.5 / 4-mini: a Llama whose q|k|v and gate|up projections are each one matrix
// (self_attn.qkv_proj, mlp.gate_up_proj), every layer windowed when `sliding_window` is set,
// RoPE often partial (Phi-4-mini rotates 3/4 of each head) and stretched by LongRoPE.
// llama.cpp keeps both fused (attn_qkv, ffn_up of twice the width) in NEOX RoPE order.

#include "model/architectures/entries.h"

namespace chosei::families {

const Architecture& phi3() {
  static const Architecture a = [] {
    Architecture x;
    x.model_type = "phi3";
    x.causal_lm_class = "Phi3ForCausalLM";
    x.classifier_class = "Phi3ForSequenceClassification";
    x.gguf_name = "phi3";
    x.fused_projections = true;
    x.lora_default_targets = {"qkv_proj"};  // PEFT's default for phi3
    x.windows = WindowSource::kAllLayers;
    x.extra_fields = {"sliding_window", "partial_rotary_factor", "original_max_position_embeddings",
                      "resid_pdrop", "embd_pdrop"};
    return x;
  }();
  return a;
}

}  // namespace chosei::families
