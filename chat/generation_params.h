#pragma once
// The sampling and output fields that POST /v1/chat/completions and POST /v1/completions
// share, parsed and checked field by field (an ApiError(400) naming the field), and the
// check that a body holds no field the route does not know: an unsupported OpenAI
// parameter is refused by name, never silently ignored.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chosei {

struct RequestLimits {
  std::int64_t max_n = 8;  // choices per request (`n`)
};

struct GenerationParams {
  std::string model;
  double temperature = 1.0;
  double top_p = 1.0;
  std::optional<std::int64_t> max_tokens;  // max_completion_tokens or max_tokens
  std::vector<std::string> stop;
  std::optional<std::uint64_t> seed;
  double presence_penalty = 0, frequency_penalty = 0;
  std::int64_t n = 1;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  std::string user;
};

// Reads the shared fields of `body` into `out`.
void parse_generation_params(const nlohmann::json& body, const RequestLimits& limits,
                             GenerationParams& out);

// 400 naming the first key of `body` that is neither in `known` nor in the shared fields:
// parameters of OpenAI's API that are not supported get a message that says so.
void refuse_unknown_fields(const nlohmann::json& body, const std::set<std::string>& known);

}  // namespace chosei
