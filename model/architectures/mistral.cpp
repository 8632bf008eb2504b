// Mistral: a Llama whose every layer attends through `sliding_window` when it is set.
// llama.cpp runs it as "llama".

#include "model/architectures/entries.h"

namespace chosei::families {

const Architecture& mistral() {
  static const Architecture a = [] {
    Architecture x;
    x.model_type = "mistral";
    x.causal_lm_class = "MistralForCausalLM";
    x.classifier_class = "MistralForSequenceClassification";
    x.gguf_name = "llama";
    x.gguf_interleaved_rope = true;
    x.windows = WindowSource::kAllLayers;
    x.extra_fields = {"sliding_window"};
    return x;
  }();
  return a;
}

}  // namespace chosei::families
