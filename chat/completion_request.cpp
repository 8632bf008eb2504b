#include "chat/completion_request.h"

#include "chat/api_error.h"

namespace chosei {

namespace {

using json = nlohmann::json;

bool token_list(const json& v) {
  if (!v.is_array() || v.empty()) return false;
  for (const auto& x : v)
    if (!x.is_number_integer()) return false;
  return true;
}

std::vector<TokenId> ids_of(const json& v) {
  std::vector<TokenId> ids;
  for (const auto& x : v) ids.push_back(x.get<TokenId>());
  return ids;
}

// OpenAI accepts a string, an array of strings, an array of token ids or an array of such.
void parse_prompts(const json& body, CompletionRequest& r) {
  if (!body.contains("prompt") || body["prompt"].is_null())
    throw invalid_request("prompt is required", "prompt");
  const auto& p = body["prompt"];
  if (p.is_string()) return r.prompts.emplace_back(p.get<std::string>()), void();
  if (token_list(p)) return r.prompts.emplace_back(ids_of(p)), void();
  if (!p.is_array() || p.empty())
    throw invalid_request(
        "prompt must be a string, an array of strings, or token ids (an array or arrays)", "prompt",
        "invalid_type");
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i].is_string())
      r.prompts.emplace_back(p[i].get<std::string>());
    else if (token_list(p[i]))
      r.prompts.emplace_back(ids_of(p[i]));
    else
      throw invalid_request("prompt[" + std::to_string(i) + "] must be a string or token ids",
                            "prompt", "invalid_type");
  }
}

}  // namespace

CompletionRequest parse_completion_request(const json& body, const RequestLimits& limits) {
  if (!body.is_object()) throw invalid_request("the request body must be a JSON object");
  // An empty suffix and best_of 1 ask for nothing; anything else is refused by name.
  json rest = body;
  if (rest.contains("suffix") && rest["suffix"] == json("")) rest.erase("suffix");
  if (rest.contains("best_of") && rest["best_of"] == json(1)) rest.erase("best_of");
  refuse_unknown_fields(rest, {"prompt", "echo", "logprobs"});
  CompletionRequest r;
  // max_tokens 0 with echo scores the prompt and generates nothing (lm-eval's loglikelihood).
  const bool score_only = body.contains("max_tokens") && body["max_tokens"] == json(0) &&
                          body.value("echo", false) == true;
  if (score_only) rest = body, rest.erase("max_tokens");
  parse_generation_params(score_only ? rest : body, limits, r);
  if (score_only) r.max_tokens = 0;
  parse_prompts(body, r);
  if (body.contains("echo") && !body["echo"].is_null()) {
    if (!body["echo"].is_boolean())
      throw invalid_request("echo must be a boolean", "echo", "invalid_type");
    r.echo = body["echo"].get<bool>();
  }
  if (body.contains("logprobs") && !body["logprobs"].is_null()) {
    const auto& l = body["logprobs"];
    if (!l.is_number_integer() || l.get<int>() < 0 || l.get<int>() > 5)
      throw invalid_request("logprobs must be an integer from 0 to 5", "logprobs", "invalid_value");
    r.logprobs = l.get<int>();
  }
  if (r.echo && r.logprobs >= 0 && r.stream)
    throw invalid_request(
        "echo with logprobs (the prompt's log-probabilities) is answered whole, not streamed",
        "stream", "unsupported_value");
  return r;
}

}  // namespace chosei
