#include "chat/generation_params.h"

#include <map>

#include "chat/api_error.h"

namespace chosei {

namespace {

using json = nlohmann::json;

const std::set<std::string> kShared = {"model", "temperature", "top_p", "max_tokens",
                                       "max_completion_tokens", "stop", "seed", "presence_penalty",
                                       "frequency_penalty", "n", "stream", "stream_options", "user",
                                       // accepted and documented as ignored (README)
                                       "metadata", "store", "service_tier"};

// OpenAI parameters this server does not implement, with what to use instead.
const std::map<std::string, std::string> kUnsupported = {
    {"logit_bias", "logit_bias is not supported"},
    {"audio", "audio output is not supported (text only)"},
    {"modalities", "only text output is supported"},
    {"prediction", "predicted outputs are not supported"},
    {"functions", "functions is deprecated and not supported; use tools"},
    {"function_call", "function_call is deprecated and not supported; use tool_choice"},
    {"web_search_options", "web search is not supported"},
    {"reasoning_effort", "reasoning_effort is not supported (no reasoning models)"},
    {"best_of", "best_of is not supported; use n"},
    {"suffix", "suffix (insertion) is not supported"}};

double number_in(const json& body, const std::string& key, double fallback, double lo, double hi) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  if (!body[key].is_number()) throw invalid_request(key + " must be a number", key, "invalid_type");
  const double v = body[key].get<double>();
  if (!(v >= lo && v <= hi))
    throw invalid_request(key + " must be between " + json(lo).dump() + " and " + json(hi).dump() +
                              ", got " + json(v).dump(),
                          key, "invalid_value");
  return v;
}

std::vector<std::string> parse_stop(const json& body) {
  if (!body.contains("stop") || body["stop"].is_null()) return {};
  const auto& s = body["stop"];
  if (s.is_string()) return {s.get<std::string>()};
  if (!s.is_array() || s.size() > 4)
    throw invalid_request("stop must be a string or an array of up to 4 strings", "stop",
                          "invalid_type");
  std::vector<std::string> out;
  for (const auto& x : s) {
    if (!x.is_string()) throw invalid_request("stop must contain strings", "stop", "invalid_type");
    out.push_back(x.get<std::string>());
  }
  return out;
}

}  // namespace

void parse_generation_params(const json& body, const RequestLimits& limits, GenerationParams& r) {
  if (!body.contains("model") || !body["model"].is_string())
    throw invalid_request("model is required and must be a string", "model");
  r.model = body["model"].get<std::string>();
  r.temperature = number_in(body, "temperature", 1.0, 0.0, 2.0);
  r.top_p = number_in(body, "top_p", 1.0, 0.0, 1.0);
  if (r.top_p == 0) r.temperature = 0;  // all mass on the top token: greedy
  r.presence_penalty = number_in(body, "presence_penalty", 0.0, -2.0, 2.0);
  r.frequency_penalty = number_in(body, "frequency_penalty", 0.0, -2.0, 2.0);
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (!body.contains(key) || body[key].is_null() || r.max_tokens) continue;
    if (!body[key].is_number_integer() || body[key].get<std::int64_t>() < 1)
      throw invalid_request(std::string(key) + " must be a positive integer", key, "invalid_value");
    r.max_tokens = body[key].get<std::int64_t>();
  }
  r.stop = parse_stop(body);
  if (body.contains("seed") && !body["seed"].is_null()) {
    if (!body["seed"].is_number_integer())
      throw invalid_request("seed must be an integer", "seed", "invalid_type");
    r.seed = static_cast<std::uint64_t>(body["seed"].get<std::int64_t>());
  }
  if (body.contains("n") && !body["n"].is_null()) {
    const auto& n = body["n"];
    if (!n.is_number_integer() || n.get<std::int64_t>() < 1 || n.get<std::int64_t>() > limits.max_n)
      throw invalid_request(
          "n must be an integer from 1 to " + std::to_string(limits.max_n) + " (serve --max-n)",
          "n", "invalid_value");
    r.n = n.get<std::int64_t>();
  }
  if (body.contains("stream") && !body["stream"].is_null()) {
    if (!body["stream"].is_boolean())
      throw invalid_request("stream must be a boolean", "stream", "invalid_type");
    r.stream = body["stream"].get<bool>();
  }
  if (body.contains("stream_options") && body["stream_options"].is_object()) {
    const auto& so = body["stream_options"];
    if (so.contains("include_usage") && so["include_usage"].is_boolean())
      r.include_usage = so["include_usage"].get<bool>();
  }
  if (body.contains("user") && body["user"].is_string()) r.user = body["user"].get<std::string>();
}

void refuse_unknown_fields(const json& body, const std::set<std::string>& known) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    const auto& key = it.key();
    if (kShared.count(key) || known.count(key)) continue;
    if (it.value().is_null()) continue;  // clients send explicit nulls for defaults
    if (key == "modalities" && it.value() == json::array({"text"})) continue;
    const auto unsupported = kUnsupported.find(key);
    if (unsupported != kUnsupported.end())
      throw invalid_request(unsupported->second, key, "unsupported_parameter");
    throw invalid_request("Unrecognized request argument supplied: " + key, key,
                          "unsupported_parameter");
  }
}

}  // namespace chosei
