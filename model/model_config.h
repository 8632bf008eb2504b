#pragma once
// ModelConfig: the architecture of a Llama-family decoder, read from and written to a
// Hugging Face config.json (`model_type` llama, mistral or qwen2). Validated on load: a
// field of the wrong type or an inconsistent shape (heads not dividing the hidden size,
// KV heads not dividing heads) is an error naming the file and field.

#include <cstdint>
#include <string>
#include <vector>

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
  double rope_theta = 10000.0;
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
