#pragma once
// ModelConfig: the shape of a decoder of any family in the architecture registry
// (model/architecture.h), read from and written to a Hugging Face config.json as
// transformers writes it today (`rope_parameters`, `layer_types`, `head_dim`), older
// spellings (`rope_theta`, `rope_scaling`, `sliding_window_pattern`) read too. Validated on
// load: a field of the wrong type, an inconsistent shape (heads not dividing the hidden
// size, KV heads not dividing heads) or a field that changes the math and is not
// implemented is an error naming the file and field.

#include <cstdint>
#include <string>
#include <vector>

#include "model/architecture.h"
#include "model/rope_parameters.h"

namespace chosei {

struct ModelConfig {
  std::string model_type = "llama";
  std::int64_t vocab_size = 32000;
  std::int64_t hidden_size = 4096;  // C
  std::int64_t intermediate_size = 11008;
  std::int64_t num_hidden_layers = 32;
  std::int64_t num_attention_heads = 32;  // NH
  std::int64_t num_key_value_heads = 32;  // NKV (grouped-query attention when < NH)
  std::int64_t head_dim = 0;              // 0: hidden_size / num_attention_heads
  std::int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  RopeParameters rope;               // every layer's, or the global layers' when local_rope
  RopeParameters rope_local;         // the sliding-window layers' (Architecture::local_rope)
  std::int64_t sliding_window = 0;   // keys within this many positions; 0: no window
  std::vector<bool> sliding_layers;  // per layer: attends through the window
  std::vector<bool> nope_layers;     // per layer: no rotary embedding (empty: every layer rotates)
  double query_pre_attn_scalar = 0;  // scores times this^-1/2; 0: the head dimension's
  double final_logit_softcapping = 0;  // 0: none
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v bias (always on for qwen2)
  double initializer_range = 0.02;
  std::int64_t bos_token_id = -1;  // -1: none
  std::vector<std::int64_t> eos_token_ids;
  std::int64_t pad_token_id = -1;
  std::string torch_dtype = "float32";
  // The file as read, so that fields chosei does not model survive a load/save round trip.
  std::string original_json;

  std::int64_t effective_head_dim() const {
    return head_dim > 0 ? head_dim : hidden_size / num_attention_heads;
  }
  const Architecture& architecture() const { return architecture_for_model_type(model_type); }
  bool layer_is_sliding(std::int64_t layer) const {
    return sliding_window > 0 && static_cast<std::size_t>(layer) < sliding_layers.size() &&
           sliding_layers[static_cast<std::size_t>(layer)];
  }
  bool layer_uses_rope(std::int64_t layer) const {
    return static_cast<std::size_t>(layer) >= nope_layers.size() ||
           !nope_layers[static_cast<std::size_t>(layer)];
  }
  const RopeParameters& rope_for_layer(std::int64_t layer) const {
    return architecture().local_rope && layer_is_sliding(layer) ? rope_local : rope;
  }
  // The factor on q.k: query_pre_attn_scalar^-1/2, else head_dim^-1/2.
  double attention_scale() const;
  // Throws std::invalid_argument with `source` and the offending field.
  void validate(const std::string& source) const;
  // Exact number of trainable parameters this architecture has.
  std::int64_t parameter_count() const;
};

ModelConfig parse_model_config(const std::string& json_text, const std::string& source);
ModelConfig load_model_config(const std::string& path);
std::string model_config_to_json(const ModelConfig& config);
void save_model_config(const ModelConfig& config, const std::string& path);

// Named architectures for `chosei model init --preset`: tiny (~1M parameters with an
// 8k vocabulary), small (~10M), medium (~30M), base (~100M).
ModelConfig model_preset(const std::string& name, std::int64_t vocab_size);
std::vector<std::string> model_preset_names();

}  // namespace chosei
