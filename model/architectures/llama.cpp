// Llama 2 / 3.x (and SmolLM2, which is a Llama): pre-norm blocks, SwiGLU, optional q/k/v
// biases, RoPE with Llama 3's scalings. llama.cpp's "llama" interleaves RoPE pairs.

#include "model/architectures/entries.h"

namespace chosei::families {

const Architecture& llama() {
  static const Architecture a = [] {
    Architecture x;
    x.output_bias = true;
    x.model_type = "llama";
    x.causal_lm_class = "LlamaForCausalLM";
    x.classifier_class = "LlamaForSequenceClassification";
    x.gguf_name = "llama";
    x.gguf_interleaved_rope = true;
    x.extra_fields = {"attention_bias", "mlp_bias", "pretraining_tp"};
    return x;
  }();
  return a;
}

}  // namespace chosei::families
