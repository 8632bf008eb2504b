// Qwen3: Qwen2 without forced biases (`attention_bias`, off by default) and with a per-head
// RMSNorm on q and k before RoPE (q_norm, k_norm), an explicit head_dim.

#include "model/architectures/entries.h"

namespace chosei::families {

const Architecture& qwen3() {
  static const Architecture a = [] {
    Architecture x;
    x.output_bias = true;
    x.model_type = "qwen3";
    x.causal_lm_class = "Qwen3ForCausalLM";
    x.classifier_class = "Qwen3ForSequenceClassification";
    x.gguf_name = "qwen3";
    x.qk_norm = true;
    x.windows = WindowSource::kUseSlidingFlag;
    x.extra_fields = {"attention_bias", "use_sliding_window", "sliding_window",
                      "max_window_layers"};
    return x;
  }();
  return a;
}

}  // namespace chosei::families
