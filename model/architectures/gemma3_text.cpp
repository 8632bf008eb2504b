// Gemma 3 (text): (1 + w) RMSNorms, four per block (sandwich), GeGLU with tanh GELU,
// embeddings scaled by sqrt(hidden_size), q/k norms, scores scaled by
// query_pre_attn_scalar^-1/2, sliding-window layers with their own RoPE base beside global
// layers, optional final logit soft-capping. llama.cpp's converter stores norms + 1.

#include "model/architectures/entries.h"

namespace chosei::families {

const Architecture& gemma3_text() {
  static const Architecture a = [] {
    Architecture x;
    x.output_bias = true;
    x.model_type = "gemma3_text";
    x.causal_lm_class = "Gemma3ForCausalLM";
    x.classifier_class = "Gemma3TextForSequenceClassification";
    x.gguf_name = "gemma3";
    x.gguf_norms_plus_one = true;
    x.gguf_global_every = 6;
    x.gguf_local_rope_theta = 10000.0;
    x.qk_norm = true;
    x.norm_offset_one = true;
    x.norms = NormPlacement::kSandwich;
    x.activation = Activation::kGeluTanh;
    x.activation_field = "hidden_activation";
    x.embedding_scale = true;
    x.windows = WindowSource::kLayerPattern;
    x.local_rope = true;
    x.query_pre_attn_scalar = true;
    x.final_logit_softcapping = true;
    x.extra_fields = {
        "sliding_window",        "sliding_window_pattern",      "layer_types",
        "query_pre_attn_scalar", "final_logit_softcapping",     "attn_logit_softcapping",
        "rope_local_base_freq",  "use_bidirectional_attention", "attention_bias"};
    return x;
  }();
  return a;
}

}  // namespace chosei::families
