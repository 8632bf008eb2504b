#include "chat/chat_request.h"

#include "chat/api_error.h"

namespace chosei {

namespace {

using json = nlohmann::json;

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

std::string content_text(const json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return "";
  if (!content.is_array())
    throw invalid_request(param + " must be a string or an array of content parts", param,
                          "invalid_type");
  std::string text;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const auto& part = content[i];
    const std::string where = param + "[" + std::to_string(i) + "]";
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      throw invalid_request(where + " must be an object with a \"type\"", where, "invalid_type");
    if (part["type"] != "text")
      throw invalid_request("content part type \"" + part["type"].get<std::string>() +
                                "\" is not supported (text only)",
                            where + ".type", "unsupported_value");
    if (!part.contains("text") || !part["text"].is_string())
      throw invalid_request(where + ".text must be a string", where + ".text", "invalid_type");
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<ChatMessage> parse_messages(const json& body) {
  if (!body.contains("messages")) throw invalid_request("messages is required", "messages");
  const auto& list = body["messages"];
  if (!list.is_array() || list.empty())
    throw invalid_request("messages must be a non-empty array", "messages", "invalid_type");
  std::vector<ChatMessage> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string param = "messages[" + std::to_string(i) + "]";
    const auto& m = list[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      throw invalid_request(param + " must be an object with a string \"role\"", param + ".role",
                            "invalid_type");
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant")
      throw invalid_request("role \"" + role +
                                "\" is not supported (system, developer, user, "
                                "assistant)",
                            param + ".role", "unsupported_value");
    out.push_back(
        {role, content_text(m.contains("content") ? m["content"] : json(), param + ".content")});
  }
  return out;
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

ChatRequest parse_chat_request(const json& body) {
  if (!body.is_object()) throw invalid_request("the request body must be a JSON object");
  ChatRequest r;
  if (!body.contains("model") || !body["model"].is_string())
    throw invalid_request("model is required and must be a string", "model");
  r.model = body["model"].get<std::string>();
  r.messages = parse_messages(body);
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
  if (body.contains("n") && !body["n"].is_null() && body["n"] != 1)
    throw invalid_request("only n = 1 is supported", "n", "unsupported_value");
  if (body.contains("tools") && !body["tools"].is_null() && !body["tools"].empty())
    throw invalid_request("tools are not supported", "tools", "unsupported_value");
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
  return r;
}

}  // namespace chosei
