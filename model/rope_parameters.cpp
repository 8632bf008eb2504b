#include "model/rope_parameters.h"

#include <cmath>
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
      {"dynamic", {"factor"}},
      {"longrope",
       {"factor", "original_max_position_embeddings", "attention_factor", "short_factor",
        "long_factor"}},
  };
  return keys;
}

double number(const json& node, const std::string& key, double fallback, const std::string& source,
              const std::string& field) {
  if (!node.contains(key) || node[key].is_null()) return fallback;
  if (!node[key].is_number()) refuse(source, field + "." + key, "expected a number");
  return node[key].get<double>();
}

std::vector<double> number_list(const json& node, const std::string& key, const std::string& source,
                                const std::string& field) {
  if (!node.contains(key) || !node[key].is_array())
    refuse(source, field + "." + key, "longrope needs a list of numbers");
  std::vector<double> out;
  for (const auto& v : node[key]) {
    if (!v.is_number()) refuse(source, field + "." + key, "expected numbers, got " + v.dump());
    out.push_back(v.get<double>());
  }
  return out;
}

// LongRoPE as transformers reads it: factor defaults to max / original positions, the
// attention factor to sqrt(1 + ln(factor) / ln(original)) when the factor exceeds 1.
void read_longrope(const json& node, std::int64_t max_position_embeddings, RopeParameters& r,
                   const std::string& source, const std::string& field) {
  if (r.original_max_position_embeddings <= 0)
    refuse(source, field + ".original_max_position_embeddings", "longrope needs it");
  r.short_factor = number_list(node, "short_factor", source, field);
  r.long_factor = number_list(node, "long_factor", source, field);
  if (r.short_factor.size() != r.long_factor.size())
    refuse(source, field + ".long_factor",
           std::to_string(r.long_factor.size()) + " entries where short_factor has " +
               std::to_string(r.short_factor.size()));
  if (!node.contains("factor") || node["factor"].is_null())
    r.factor = static_cast<double>(max_position_embeddings) /
               static_cast<double>(r.original_max_position_embeddings);
  r.attention_factor = number(node, "attention_factor", 0.0, source, field);
  if (r.attention_factor <= 0)
    r.attention_factor =
        r.factor <= 1.0
            ? 1.0
            : std::sqrt(1 + std::log(r.factor) /
                                std::log(static_cast<double>(r.original_max_position_embeddings)));
}

}  // namespace

bool RopeParameters::operator==(const RopeParameters& o) const {
  return type == o.type && theta == o.theta && factor == o.factor &&
         original_max_position_embeddings == o.original_max_position_embeddings &&
         low_freq_factor == o.low_freq_factor && high_freq_factor == o.high_freq_factor &&
         beta_fast == o.beta_fast && beta_slow == o.beta_slow &&
         attention_factor == o.attention_factor && mscale == o.mscale &&
         mscale_all_dim == o.mscale_all_dim && truncate == o.truncate &&
         partial_rotary_factor == o.partial_rotary_factor && short_factor == o.short_factor &&
         long_factor == o.long_factor;
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
  if (type == "su") type = "longrope";  // Phi-3's first name for it, as transformers maps it
  const auto known = keys_by_type().find(type);
  if (known == keys_by_type().end())
    refuse(source, field,
           "RoPE type \"" + type +
               "\" is not supported (default, linear, llama3, yarn, dynamic, longrope)");
  for (const auto& [key, value] : node.items()) {
    if (key == "rope_type" || key == "type" || key == "rope_theta" || value.is_null()) continue;
    if (key == "partial_rotary_factor") continue;
    if (!known->second.count(key))
      refuse(source, field + "." + key, "is not read by RoPE type \"" + type + "\"");
  }
  r.type = type;
  r.theta = number(node, "rope_theta", theta, source, field);
  r.partial_rotary_factor = number(node, "partial_rotary_factor", 1.0, source, field);
  if (!(r.partial_rotary_factor > 0 && r.partial_rotary_factor <= 1))
    refuse(source, field + ".partial_rotary_factor", "must lie in (0, 1]");
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
  if (type == "longrope") read_longrope(node, max_position_embeddings, r, source, field);
  if (!(r.factor > 0)) refuse(source, field + ".factor", "must be positive");
  return r;
}

json rope_parameters_json(const RopeParameters& r) {
  json j = {{"rope_type", r.type}, {"rope_theta", r.theta}};
  if (r.partial_rotary_factor != 1.0) j["partial_rotary_factor"] = r.partial_rotary_factor;
  if (r.type == "default") return j;
  j["factor"] = r.factor;
  if (r.type == "longrope") {
    j["original_max_position_embeddings"] = r.original_max_position_embeddings;
    j["attention_factor"] = r.attention_factor;
    j["short_factor"] = r.short_factor;
    j["long_factor"] = r.long_factor;
  }
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
