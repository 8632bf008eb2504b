// Qwen2 / 2.5: a Llama with q/k/v biases always on, an optional sliding window from
// `max_window_layers` on (`use_sliding_window`), RoPE in NEOX order in GGUF.

#include "model/architectures/entries.h"

namespace chosei::families {

const Architecture& qwen2() {
  static const Architecture a = [] {
    Architecture x;
    x.model_type = "qwen2";
    x.causal_lm_class = "Qwen2ForCausalLM";
    x.classifier_class = "Qwen2ForSequenceClassification";
    x.gguf_name = "qwen2";
    x.attention_bias = true;
    x.attention_bias_fixed = true;
    x.windows = WindowSource::kUseSlidingFlag;
    x.extra_fields = {"use_sliding_window", "sliding_window", "max_window_layers"};
    return x;
  }();
  return a;
}

}  // namespace chosei::families
