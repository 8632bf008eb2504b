#include "model/model_config_fields.h"

#include <cmath>
#include <stdexcept>

namespace chosei {

void config_field_error(const std::string& source, const std::string& field,
                        const std::string& what) {
  throw std::invalid_argument(source + ": field \"" + field + "\": " + what);
}

namespace {

using nlohmann::json;

[[noreturn]] void bad_field(const std::string& source, const std::string& field,
                            const std::string& what) {
  config_field_error(source, field, what);
}

bool present(const json& j, const char* field) { return j.contains(field) && !j[field].is_null(); }

template <typename T>
void read_number(const json& j, const char* field, T& out, const std::string& source) {
  if (!present(j, field)) return;
  if (!j[field].is_number()) bad_field(source, field, "expected a number, got " + j[field].dump());
  if (std::is_integral<T>::value && !j[field].is_number_integer())
    bad_field(source, field, "expected an integer, got " + j[field].dump());
  out = j[field].get<T>();
}

void read_bool(const json& j, const char* field, bool& out, const std::string& source) {
  if (!present(j, field)) return;
  if (!j[field].is_boolean()) bad_field(source, field, "expected true or false");
  out = j[field].get<bool>();
}

std::vector<std::int64_t> read_id_list(const json& j, const char* field,
                                       const std::string& source) {
  std::vector<std::int64_t> ids;
  if (!present(j, field)) return ids;
  if (j[field].is_number_integer()) return {j[field].get<std::int64_t>()};
  if (!j[field].is_array()) bad_field(source, field, "expected an id or a list of ids");
  for (const auto& v : j[field]) {
    if (!v.is_number_integer()) bad_field(source, field, "expected integer ids");
    ids.push_back(v.get<std::int64_t>());
  }
  return ids;
}

void check_unsupported(const json& j, const Architecture& arch, const std::string& source) {
  const char* wanted = arch.activation == Activation::kSilu ? "silu" : "gelu_pytorch_tanh";
  const auto& field = arch.activation_field;
  if (present(j, field.c_str()) && j[field] != wanted)
    bad_field(source, field,
              "only \"" + std::string(wanted) + "\" is supported for " + arch.model_type +
                  ", got " + j[field].dump());
  if (j.value("mlp_bias", false)) bad_field(source, "mlp_bias", "MLP bias is not supported");
  if (present(j, "attn_logit_softcapping"))
    bad_field(source, "attn_logit_softcapping", "attention logit soft-capping is not supported");
  if (j.value("use_bidirectional_attention", false))
    bad_field(source, "use_bidirectional_attention", "bidirectional attention is not supported");
  // Dropout in the base model would change training; chosei trains without it.
  for (const char* dropout : {"attention_dropout", "resid_pdrop", "embd_pdrop"})
    if (present(j, dropout) && (!j[dropout].is_number() || j[dropout].get<double>() != 0.0))
      bad_field(source, dropout, "dropout inside the model is not supported (only 0)");
}

// One RoPE object with what older configs keep beside it at the top level (Phi-3:
// partial_rotary_factor, original_max_position_embeddings), as transformers merges them.
json rope_node_with_top_level(const json& node, const json& j) {
  if (!node.is_null() && !node.is_object()) return node;  // refused by the parser
  json merged = node.is_null() ? json::object() : node;
  for (const char* key : {"partial_rotary_factor", "original_max_position_embeddings"})
    if (present(j, key) && !present(merged, key)) merged[key] = j[key];
  if (!merged.contains("original_max_position_embeddings")) return merged;
  const std::string type = merged.value("rope_type", merged.value("type", "default"));
  if (type == "default" || type == "linear" || type == "dynamic")  // they never read it
    merged.erase("original_max_position_embeddings");
  return merged;
}

// rope_parameters (one object, or one per layer type), else rope_theta + rope_scaling.
void read_rope(const json& j, ModelConfig& c, const std::string& source) {
  const bool local = c.architecture().local_rope;
  double theta = local ? 1000000.0 : 10000.0, local_theta = 10000.0;
  read_number(j, "rope_theta", theta, source);
  read_number(j, "rope_local_base_freq", local_theta, source);
  const auto max_pos = c.max_position_embeddings;
  if (present(j, "rope_parameters")) {
    const json& p = j["rope_parameters"];
    if (local && p.is_object() &&
        (p.contains("full_attention") || p.contains("sliding_attention"))) {
      c.rope = parse_rope_parameters(p.value("full_attention", json()), theta, max_pos, source,
                                     "rope_parameters.full_attention");
      c.rope_local = parse_rope_parameters(p.value("sliding_attention", json()), local_theta,
                                           max_pos, source, "rope_parameters.sliding_attention");
      return;
    }
    c.rope = parse_rope_parameters(rope_node_with_top_level(p, j), theta, max_pos, source,
                                   "rope_parameters");
  } else {
    c.rope = parse_rope_parameters(rope_node_with_top_level(j.value("rope_scaling", json()), j),
                                   theta, max_pos, source, "rope_scaling");
  }
  c.rope_local =
      parse_rope_parameters(json(), local_theta, max_pos, source, "rope_local_base_freq");
}

std::vector<bool> read_layer_types(const json& j, std::int64_t layers, const std::string& source) {
  if (!j["layer_types"].is_array()) bad_field(source, "layer_types", "expected a list");
  std::vector<bool> sliding;
  for (const auto& t : j["layer_types"]) {
    if (t == "sliding_attention")
      sliding.push_back(true);
    else if (t == "full_attention")
      sliding.push_back(false);
    else
      bad_field(source, "layer_types",
                "entry " + t.dump() + " is not \"full_attention\" or \"sliding_attention\"");
  }
  if (static_cast<std::int64_t>(sliding.size()) != layers)
    bad_field(
        source, "layer_types",
        std::to_string(sliding.size()) + " entries for " + std::to_string(layers) + " layers");
  return sliding;
}

// SmolLM3's NoPE layers: no_rope_layers[i] is 1 where layer i rotates, else every
// no_rope_layer_interval-th layer goes without.
void read_nope_layers(const json& j, ModelConfig& c, const std::string& source) {
  const auto L = c.num_hidden_layers;
  c.nope_layers.assign(static_cast<std::size_t>(L), false);
  if (present(j, "no_rope_layers")) {
    const auto& list = j["no_rope_layers"];
    if (!list.is_array() || static_cast<std::int64_t>(list.size()) != L)
      bad_field(source, "no_rope_layers", "expected one 0 or 1 per layer");
    for (std::int64_t i = 0; i < L; ++i) {
      if (list[i] != 0 && list[i] != 1) bad_field(source, "no_rope_layers", "expected 0 or 1");
      c.nope_layers[i] = list[i] == 0;
    }
    return;
  }
  std::int64_t interval = 4;
  read_number(j, "no_rope_layer_interval", interval, source);
  if (interval <= 0) bad_field(source, "no_rope_layer_interval", "must be positive");
  for (std::int64_t i = 0; i < L; ++i) c.nope_layers[i] = (i + 1) % interval == 0;
}

// Which layers attend through a window, as each family's config says it.
void read_windows(const json& j, ModelConfig& c, const std::string& source) {
  const auto windows = c.architecture().windows;
  const auto L = c.num_hidden_layers;
  if (windows == WindowSource::kNone) return;  // transformers ignores the field here too
  std::int64_t window = windows == WindowSource::kLayerPattern ? 4096 : 0;
  read_number(j, "sliding_window", window, source);
  if (!present(j, "sliding_window") && windows != WindowSource::kLayerPattern) window = 0;
  if (windows == WindowSource::kUseSlidingFlag) {
    bool use = false;
    read_bool(j, "use_sliding_window", use, source);
    if (!use) window = 0;
  }
  c.sliding_window = window;
  if (window == 0) return;
  if (present(j, "layer_types")) {
    c.sliding_layers = read_layer_types(j, L, source);
    return;
  }
  c.sliding_layers.assign(static_cast<std::size_t>(L), true);
  if (windows == WindowSource::kUseSlidingFlag && c.architecture().nope_layers) {
    c.sliding_layers = c.nope_layers;  // SmolLM3: the NoPE layers slide
    return;
  }
  if (windows == WindowSource::kUseSlidingFlag) {
    std::int64_t first = 28;  // transformers' default max_window_layers
    read_number(j, "max_window_layers", first, source);
    for (std::int64_t i = 0; i < L && i < first; ++i) c.sliding_layers[i] = false;
  }
  if (windows == WindowSource::kLayerPattern) {
    std::int64_t pattern = 6;
    read_number(j, "sliding_window_pattern", pattern, source);
    if (pattern <= 0) bad_field(source, "sliding_window_pattern", "must be positive");
    for (std::int64_t i = 0; i < L; ++i) c.sliding_layers[i] = (i + 1) % pattern != 0;
  }
}

}  // namespace

void read_config_fields(const json& j, ModelConfig& c, const std::string& source) {
  const Architecture& arch = c.architecture();
  check_unsupported(j, arch, source);
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
  read_number(j, "initializer_range", c.initializer_range, source);
  read_bool(j, "tie_word_embeddings", c.tie_word_embeddings, source);
  c.attention_bias = arch.attention_bias;
  if (!arch.attention_bias_fixed) read_bool(j, "attention_bias", c.attention_bias, source);
  read_rope(j, c, source);
  if (arch.nope_layers) read_nope_layers(j, c, source);
  read_windows(j, c, source);
  if (arch.query_pre_attn_scalar) {
    c.query_pre_attn_scalar = 256;  // transformers' Gemma 3 default
    read_number(j, "query_pre_attn_scalar", c.query_pre_attn_scalar, source);
  }
  if (arch.final_logit_softcapping)
    read_number(j, "final_logit_softcapping", c.final_logit_softcapping, source);
  read_number(j, "bos_token_id", c.bos_token_id, source);
  read_number(j, "pad_token_id", c.pad_token_id, source);
  c.eos_token_ids = read_id_list(j, "eos_token_id", source);
  for (const char* dtype : {"dtype", "torch_dtype"})
    if (j.contains(dtype) && j[dtype].is_string()) c.torch_dtype = j[dtype].get<std::string>();
}

void write_attention_layout(const ModelConfig& c, json& j) {
  const Architecture& arch = c.architecture();
  for (const char* old : {"rope_theta", "rope_scaling", "rope_local_base_freq",
                          "sliding_window_pattern", "use_sliding_window", "max_window_layers",
                          "partial_rotary_factor", "original_max_position_embeddings"})
    j.erase(old);
  // Phi-3's config class reads these at the top level (its defaults: 1.0 and 4096).
  if (c.rope.partial_rotary_factor != 1.0)
    j["partial_rotary_factor"] = c.rope.partial_rotary_factor;
  if (c.rope.type == "longrope")
    j["original_max_position_embeddings"] = c.rope.original_max_position_embeddings;
  if (arch.local_rope)
    j["rope_parameters"] = {{"full_attention", rope_parameters_json(c.rope)},
                            {"sliding_attention", rope_parameters_json(c.rope_local)}};
  else
    j["rope_parameters"] = rope_parameters_json(c.rope);
  // transformers' Gemma3TextConfig types it int: 256, not 256.0.
  if (arch.query_pre_attn_scalar) {
    const double q = c.query_pre_attn_scalar;
    j["query_pre_attn_scalar"] = q == std::floor(q) ? json(static_cast<std::int64_t>(q)) : json(q);
  }
  if (arch.final_logit_softcapping)
    j["final_logit_softcapping"] =
        c.final_logit_softcapping > 0 ? json(c.final_logit_softcapping) : json(nullptr);
  if (arch.nope_layers) {
    json rope = json::array();
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i)
      rope.push_back(c.layer_uses_rope(i) ? 1 : 0);
    j["no_rope_layers"] = rope;
    j.erase("no_rope_layer_interval");
  }
  if (arch.windows == WindowSource::kNone) return;
  if (arch.windows == WindowSource::kUseSlidingFlag) j["use_sliding_window"] = c.sliding_window > 0;
  j["sliding_window"] = c.sliding_window > 0 ? json(c.sliding_window) : json(nullptr);
  if (arch.windows != WindowSource::kAllLayers) {
    json types = json::array();
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i)
      types.push_back(c.layer_is_sliding(i) ? "sliding_attention" : "full_attention");
    j["layer_types"] = types;
  }
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
  try {
    c.architecture();
  } catch (const std::invalid_argument& e) {
    bad_field(source, "model_type", e.what());
  }
  read_config_fields(j, c, source);
  c.validate(source);
  return c;
}

}  // namespace chosei
