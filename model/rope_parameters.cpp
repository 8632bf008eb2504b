#include "model/rope_parameters.h"

#include <map>
#include <set>
#include <stdexcept>

namespace chosei {

namespace {

using nlohmann::json;

[[noreturn]] void refuse(const std::string& source, const std::string& field,
                         const std::string& what) {
  throw std::invalid_argument(source + ": field \"" + field + "\": " + what);
}

// The keys each type reads (transformers' _validate_*_rope_parameters); any other key that is
// not bookkeeping is refused, since it would change the math.
const std::map<std::string, std::set<std::string>>& keys_by_type() {
  static const std::map<std::string, std::set<std::string>> keys = {
      {"default", {}},
      {"linear", {"factor"}},
      {"llama3",
       {"factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"}},
      {"yarn",
       {"factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow",
        "mscale", "mscale_all_dim", "truncate"}},
  };
  return keys;
}

double number(const json& node, const std::string& key, double fallback, const std::string& source,
              const std::string& field) {
  if (!node.contains(key) || node[key].is_null()) return fallback;
  if (!node[key].is_number()) refuse(source, field + "." + key, "expected a number");
  return node[key].get<double>();
}

}  // namespace

bool RopeParameters::operator==(const RopeParameters& o) const {
  return type == o.type && theta == o.theta && factor == o.factor &&
         original_max_position_embeddings == o.original_max_position_embeddings &&
         low_freq_factor == o.low_freq_factor && high_freq_factor == o.high_freq_factor &&
         beta_fast == o.beta_fast && beta_slow == o.beta_slow &&
         attention_factor == o.attention_factor && mscale == o.mscale &&
         mscale_all_dim == o.mscale_all_dim && truncate == o.truncate &&
         partial_rotary_factor == o.partial_rotary_factor;
}

RopeParameters parse_rope_parameters(const json& node, double theta,
                                     std::int64_t max_position_embeddings,
                                     const std::string& source, const std::string& field) {
  RopeParameters r;
  r.theta = theta;
  if (node.is_null()) return r;
  if (!node.is_object()) refuse(source, field, "expected an object");
  std::string type = "default";
  for (const char* k : {"rope_type", "type"})
    if (node.contains(k) && node[k].is_string()) type = node[k].get<std::string>();
  const auto known = keys_by_type().find(type);
  if (known == keys_by_type().end())
    refuse(source, field,
           "RoPE type \"" + type + "\" is not supported (default, linear, llama3, yarn)");
  for (const auto& [key, value] : node.items()) {
    if (key == "rope_type" || key == "type" || key == "rope_theta" || value.is_null()) continue;
    if (key == "partial_rotary_factor") continue;
    if (!known->second.count(key))
      refuse(source, field + "." + key, "is not read by RoPE type \"" + type + "\"");
  }
  r.type = type;
  r.theta = number(node, "rope_theta", theta, source, field);
  r.partial_rotary_factor = number(node, "partial_rotary_factor", 1.0, source, field);
  if (r.partial_rotary_factor != 1.0)
    refuse(source, field + ".partial_rotary_factor",
           "partial rotary embeddings are not supported yet");
  if (type == "default") return r;
  r.factor = number(node, "factor", type == "yarn" ? 0.0 : 1.0, source, field);
  r.original_max_position_embeddings = static_cast<std::int64_t>(
      number(node, "original_max_position_embeddings", 0.0, source, field));
  if (type == "llama3") {
    r.low_freq_factor = number(node, "low_freq_factor", 1.0, source, field);
    r.high_freq_factor = number(node, "high_freq_factor", 4.0, source, field);
    if (r.original_max_position_embeddings <= 0)
      refuse(source, field + ".original_max_position_embeddings", "llama3 RoPE needs it");
  }
  if (type == "yarn") {
    if (r.original_max_position_embeddings <= 0)
      r.original_max_position_embeddings = max_position_embeddings;
    if (r.factor == 0.0)
      r.factor = static_cast<double>(max_position_embeddings) /
                 static_cast<double>(r.original_max_position_embeddings);
    r.attention_factor = number(node, "attention_factor", 0.0, source, field);
    r.beta_fast = number(node, "beta_fast", 32.0, source, field);
    r.beta_slow = number(node, "beta_slow", 1.0, source, field);
    r.mscale = number(node, "mscale", 0.0, source, field);
    r.mscale_all_dim = number(node, "mscale_all_dim", 0.0, source, field);
    if (node.contains("truncate") && node["truncate"].is_boolean())
      r.truncate = node["truncate"].get<bool>();
  }
  if (!(r.factor > 0)) refuse(source, field + ".factor", "must be positive");
  return r;
}

json rope_parameters_json(const RopeParameters& r) {
  json j = {{"rope_type", r.type}, {"rope_theta", r.theta}};
  if (r.type == "default") return j;
  j["factor"] = r.factor;
  if (r.type == "llama3" || r.type == "yarn")
    j["original_max_position_embeddings"] = r.original_max_position_embeddings;
  if (r.type == "llama3") {
    j["low_freq_factor"] = r.low_freq_factor;
    j["high_freq_factor"] = r.high_freq_factor;
  }
  if (r.type == "yarn") {
    if (r.attention_factor > 0) j["attention_factor"] = r.attention_factor;
    j["beta_fast"] = r.beta_fast;
    j["beta_slow"] = r.beta_slow;
    if (r.mscale > 0) j["mscale"] = r.mscale;
    if (r.mscale_all_dim > 0) j["mscale_all_dim"] = r.mscale_all_dim;
    if (!r.truncate) j["truncate"] = false;
  }
  return j;
}

}  // namespace chosei
