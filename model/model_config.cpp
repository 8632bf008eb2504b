#include "model/model_config.h"

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

namespace {

using nlohmann::json;

[[noreturn]] void bad_field(const std::string& source, const std::string& field,
                            const std::string& what) {
  throw std::invalid_argument(source + ": field \"" + field + "\": " + what);
}

template <typename T>
void read_number(const json& j, const char* field, T& out, const std::string& source) {
  if (!j.contains(field) || j[field].is_null()) return;
  if (!j[field].is_number()) bad_field(source, field, "expected a number, got " + j[field].dump());
  if (std::is_integral<T>::value && !j[field].is_number_integer())
    bad_field(source, field, "expected an integer, got " + j[field].dump());
  out = j[field].get<T>();
}

void read_bool(const json& j, const char* field, bool& out, const std::string& source) {
  if (!j.contains(field) || j[field].is_null()) return;
  if (!j[field].is_boolean()) bad_field(source, field, "expected true or false");
  out = j[field].get<bool>();
}

std::vector<std::int64_t> read_id_list(const json& j, const char* field,
                                       const std::string& source) {
  std::vector<std::int64_t> ids;
  if (!j.contains(field) || j[field].is_null()) return ids;
  if (j[field].is_number_integer()) return {j[field].get<std::int64_t>()};
  if (!j[field].is_array()) bad_field(source, field, "expected an id or a list of ids");
  for (const auto& v : j[field]) {
    if (!v.is_number_integer()) bad_field(source, field, "expected integer ids");
    ids.push_back(v.get<std::int64_t>());
  }
  return ids;
}

void check_unsupported(const json& j, const std::string& source) {
  if (j.contains("hidden_act") && j["hidden_act"] != "silu")
    bad_field(source, "hidden_act", "only \"silu\" is supported, got " + j["hidden_act"].dump());
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
    bad_field(source, "rope_scaling", "RoPE scaling is not supported yet");
  if (j.value("mlp_bias", false)) bad_field(source, "mlp_bias", "MLP bias is not supported");
}

}  // namespace

void ModelConfig::validate(const std::string& source) const {
  auto positive = [&](const char* field, std::int64_t v) {
    if (v <= 0) bad_field(source, field, "must be positive, got " + std::to_string(v));
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("intermediate_size", intermediate_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("num_key_value_heads", num_key_value_heads);
  positive("max_position_embeddings", max_position_embeddings);
  if (head_dim == 0 && hidden_size % num_attention_heads != 0)
    bad_field(source, "num_attention_heads",
              std::to_string(num_attention_heads) + " heads do not divide hidden_size " +
                  std::to_string(hidden_size));
  if (num_attention_heads % num_key_value_heads != 0)
    bad_field(source, "num_key_value_heads",
              std::to_string(num_key_value_heads) + " KV heads do not divide " +
                  std::to_string(num_attention_heads) + " attention heads");
  if (effective_head_dim() % 2 != 0)
    bad_field(source, "head_dim", "rotary embeddings need an even head dimension");
  if (!(rms_norm_eps > 0)) bad_field(source, "rms_norm_eps", "must be positive");
  if (!(rope_theta > 0)) bad_field(source, "rope_theta", "must be positive");
  if (model_type != "llama" && model_type != "mistral" && model_type != "qwen2")
    bad_field(source, "model_type",
              "\"" + model_type + "\" is not supported (llama, mistral, qwen2)");
}

std::int64_t ModelConfig::parameter_count() const {
  const std::int64_t C = hidden_size, hd = effective_head_dim();
  const std::int64_t q = num_attention_heads * hd, kv = num_key_value_heads * hd;
  std::int64_t attn = C * q + 2 * C * kv + q * C;
  if (attention_bias) attn += q + 2 * kv;
  const std::int64_t mlp = 3 * C * intermediate_size;
  const std::int64_t layer = attn + mlp + 2 * C;
  std::int64_t total = vocab_size * C + num_hidden_layers * layer + C;
  if (!tie_word_embeddings) total += vocab_size * C;
  return total;
}

ModelConfig parse_model_config(const std::string& json_text, const std::string& source) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::invalid_argument(source + ": not a JSON object");
  ModelConfig c;
  c.original_json = json_text;
  if (!j.contains("model_type") || !j["model_type"].is_string())
    bad_field(source, "model_type", "missing or not a string");
  c.model_type = j["model_type"].get<std::string>();
  check_unsupported(j, source);
  read_number(j, "vocab_size", c.vocab_size, source);
  read_number(j, "hidden_size", c.hidden_size, source);
  read_number(j, "intermediate_size", c.intermediate_size, source);
  read_number(j, "num_hidden_layers", c.num_hidden_layers, source);
  read_number(j, "num_attention_heads", c.num_attention_heads, source);
  c.num_key_value_heads = c.num_attention_heads;
  read_number(j, "num_key_value_heads", c.num_key_value_heads, source);
  read_number(j, "head_dim", c.head_dim, source);
  read_number(j, "max_position_embeddings", c.max_position_embeddings, source);
  read_number(j, "rms_norm_eps", c.rms_norm_eps, source);
  read_number(j, "rope_theta", c.rope_theta, source);
  read_number(j, "initializer_range", c.initializer_range, source);
  read_bool(j, "tie_word_embeddings", c.tie_word_embeddings, source);
  read_bool(j, "attention_bias", c.attention_bias, source);
  if (c.model_type == "qwen2") c.attention_bias = true;  // Qwen2 always has q/k/v bias
  read_number(j, "bos_token_id", c.bos_token_id, source);
  read_number(j, "pad_token_id", c.pad_token_id, source);
  c.eos_token_ids = read_id_list(j, "eos_token_id", source);
  if (j.contains("torch_dtype") && j["torch_dtype"].is_string())
    c.torch_dtype = j["torch_dtype"].get<std::string>();
  c.validate(source);
  return c;
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
  static const std::map<std::string, std::string> kArchitectures = {
      {"llama", "LlamaForCausalLM"},
      {"mistral", "MistralForCausalLM"},
      {"qwen2", "Qwen2ForCausalLM"}};
  if (!j.contains("architectures")) j["architectures"] = {kArchitectures.at(c.model_type)};
  j["model_type"] = c.model_type;
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  if (c.head_dim > 0) j["head_dim"] = c.head_dim;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["hidden_act"] = "silu";
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  if (c.model_type != "qwen2") j["attention_bias"] = c.attention_bias;
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
    c.rope_theta = 10000.0;
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
