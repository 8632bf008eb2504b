#pragma once
// The tiny Llama the reward and classifier tests build score models on (and write for
// their PyTorch references): 2 layers, grouped-query attention, untied embeddings, eos 2.

#include "model/llama_model.h"
#include "model/model_config.h"

namespace chosei::test {

inline ModelConfig tiny_score_model_config() {
  ModelConfig c;
  c.vocab_size = 40;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.max_position_embeddings = 64;
  c.rms_norm_eps = 1e-5;
  c.tie_word_embeddings = false;
  c.initializer_range = 0.2;
  c.eos_token_ids = {2};
  return c;
}

// A causal LM of that shape with random weights (the alignment tests' policy and reference).
inline LlamaForCausalLM tiny_causal_lm(std::uint64_t seed) {
  LlamaForCausalLM lm(tiny_score_model_config());
  lm->initialize(seed);
  return lm;
}

}  // namespace chosei::test
