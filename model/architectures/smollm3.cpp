// SmolLM3: a Llama whose every `no_rope_layer_interval`-th layer (or those `no_rope_layers`
// marks 0) attends without rotary embeddings (NoPE), a sliding window optional on those
// layers (`use_sliding_window`, `layer_types`).

#include "model/architectures/entries.h"

namespace chosei::families {

const Architecture& smollm3() {
  static const Architecture a = [] {
    Architecture x;
    x.model_type = "smollm3";
    x.causal_lm_class = "SmolLM3ForCausalLM";
    x.classifier_class = "SmolLM3ForSequenceClassification";
    x.gguf_name = "smollm3";
    x.gguf_interleaved_rope = true;
    x.output_bias = true;
    x.nope_layers = true;
    x.gguf_nope_every = 4;
    x.windows = WindowSource::kUseSlidingFlag;
    x.extra_fields = {
        "attention_bias",     "mlp_bias",       "no_rope_layers", "no_rope_layer_interval",
        "use_sliding_window", "sliding_window", "layer_types"};
    return x;
  }();
  return a;
}

}  // namespace chosei::families
