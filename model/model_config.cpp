#include "model/model_config.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"
#include "model/model_config_fields.h"

namespace chosei {

namespace {

using nlohmann::json;

}  // namespace

void ModelConfig::validate(const std::string& source) const {
  auto positive = [&](const char* field, std::int64_t v) {
    if (v <= 0) config_field_error(source, field, "must be positive, got " + std::to_string(v));
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("intermediate_size", intermediate_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("num_key_value_heads", num_key_value_heads);
  positive("max_position_embeddings", max_position_embeddings);
  if (head_dim == 0 && hidden_size % num_attention_heads != 0)
    config_field_error(source, "num_attention_heads",
                       std::to_string(num_attention_heads) + " heads do not divide hidden_size " +
                           std::to_string(hidden_size));
  if (num_attention_heads % num_key_value_heads != 0)
    config_field_error(source, "num_key_value_heads",
                       std::to_string(num_key_value_heads) + " KV heads do not divide " +
                           std::to_string(num_attention_heads) + " attention heads");
  if (effective_head_dim() % 2 != 0)
    config_field_error(source, "head_dim", "rotary embeddings need an even head dimension");
  for (const auto* r : {&rope, &rope_local}) {
    const auto rotated = r->rotary_dim(effective_head_dim());
    if (rotated <= 0 || rotated % 2 != 0)
      config_field_error(source, "partial_rotary_factor",
                         "rotates " + std::to_string(rotated) + " channels of " +
                             std::to_string(effective_head_dim()) + ": needs an even number");
    if (r->type == "longrope" && static_cast<std::int64_t>(r->short_factor.size()) != rotated / 2)
      config_field_error(source, "rope_parameters.short_factor",
                         std::to_string(r->short_factor.size()) + " factors for " +
                             std::to_string(rotated / 2) + " rotary frequencies");
  }
  if (!(rms_norm_eps > 0)) config_field_error(source, "rms_norm_eps", "must be positive");
  if (!(rope.theta > 0))
    config_field_error(source, "rope_parameters", "rope_theta must be positive");
  try {
    architecture();
  } catch (const std::invalid_argument& e) {
    config_field_error(source, "model_type", e.what());
  }
  if (sliding_window < 0) config_field_error(source, "sliding_window", "must not be negative");
  if (!sliding_layers.empty() &&
      static_cast<std::int64_t>(sliding_layers.size()) != num_hidden_layers)
    config_field_error(source, "layer_types",
                       std::to_string(sliding_layers.size()) + " entries for " +
                           std::to_string(num_hidden_layers) + " layers");
}

double ModelConfig::attention_scale() const {
  const double d =
      query_pre_attn_scalar > 0 ? query_pre_attn_scalar : static_cast<double>(effective_head_dim());
  return std::pow(d, -0.5);  // transformers' `scaling`, head_dim**-0.5
}

std::int64_t ModelConfig::parameter_count() const {
  const std::int64_t C = hidden_size, hd = effective_head_dim();
  const std::int64_t q = num_attention_heads * hd, kv = num_key_value_heads * hd;
  std::int64_t attn = C * q + 2 * C * kv + q * C;
  if (attention_bias) attn += q + 2 * kv + (architecture().output_bias ? C : 0);
  if (architecture().qk_norm) attn += 2 * hd;
  const std::int64_t mlp = 3 * C * intermediate_size;
  const std::int64_t norms = architecture().norms == NormPlacement::kSandwich ? 4 : 2;
  const std::int64_t layer = attn + mlp + norms * C;
  std::int64_t total = vocab_size * C + num_hidden_layers * layer + C;
  if (!tie_word_embeddings) total += vocab_size * C;
  return total;
}

ModelConfig load_model_config(const std::string& path) {
  return parse_model_config(read_file(path), path);
}

std::string model_config_to_json(const ModelConfig& c) {
  json j = json::object();
  if (!c.original_json.empty()) {
    json orig = json::parse(c.original_json, nullptr, false);
    if (orig.is_object()) j = orig;
  }
  const Architecture& arch = c.architecture();
  if (!j.contains("architectures")) j["architectures"] = {arch.causal_lm_class};
  j["model_type"] = c.model_type;
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  j["head_dim"] = c.effective_head_dim();
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  write_attention_layout(c, j);
  j[arch.activation_field] = arch.activation == Activation::kSilu ? "silu" : "gelu_pytorch_tanh";
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  if (!arch.attention_bias_fixed) j["attention_bias"] = c.attention_bias;
  j["initializer_range"] = c.initializer_range;
  j["bos_token_id"] = c.bos_token_id >= 0 ? json(c.bos_token_id) : json(nullptr);
  if (c.eos_token_ids.size() == 1)
    j["eos_token_id"] = c.eos_token_ids[0];
  else if (c.eos_token_ids.empty())
    j["eos_token_id"] = nullptr;
  else
    j["eos_token_id"] = c.eos_token_ids;
  if (c.pad_token_id >= 0) j["pad_token_id"] = c.pad_token_id;
  j["torch_dtype"] = c.torch_dtype;
  return j.dump(2) + "\n";
}

void save_model_config(const ModelConfig& config, const std::string& path) {
  write_file_atomic(path, model_config_to_json(config));
}

namespace {
struct Preset {
  const char* name;
  std::int64_t hidden, layers, heads, kv_heads, intermediate, context;
};
constexpr Preset kPresets[] = {
    {"tiny", 128, 4, 4, 2, 352, 512},
    {"small", 256, 8, 8, 4, 688, 1024},
    {"medium", 512, 8, 8, 4, 1376, 2048},
    {"base", 768, 12, 12, 4, 2048, 2048},
};
}  // namespace

ModelConfig model_preset(const std::string& name, std::int64_t vocab_size) {
  for (const auto& p : kPresets) {
    if (name != p.name) continue;
    ModelConfig c;
    c.model_type = "llama";
    c.vocab_size = vocab_size;
    c.hidden_size = p.hidden;
    c.num_hidden_layers = p.layers;
    c.num_attention_heads = p.heads;
    c.num_key_value_heads = p.kv_heads;
    c.intermediate_size = p.intermediate;
    c.max_position_embeddings = p.context;
    c.rms_norm_eps = 1e-5;
    c.rope.theta = 10000.0;
    c.tie_word_embeddings = true;
    return c;
  }
  std::string names;
  for (const auto& n : model_preset_names()) names += (names.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown preset \"" + name + "\" (known: " + names + ")");
}

std::vector<std::string> model_preset_names() {
  std::vector<std::string> names;
  for (const auto& p : kPresets) names.push_back(p.name);
  return names;
}

}  // namespace chosei
