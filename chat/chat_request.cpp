#include "chat/chat_request.h"

#include "chat/api_error.h"

namespace chosei {

namespace {

using json = nlohmann::json;

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

ResponseFormat parse_response_format(const json& body, const std::string& raw) {
  ResponseFormat f;
  if (!body.contains("response_format") || body["response_format"].is_null()) return f;
  const auto& rf = body["response_format"];
  if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string())
    throw invalid_request("response_format must be an object with a \"type\"", "response_format",
                          "invalid_type");
  f.type = rf["type"].get<std::string>();
  if (f.type == "text" || f.type == "json_object") return f;
  if (f.type != "json_schema")
    throw invalid_request("response_format.type must be text, json_object or json_schema",
                          "response_format.type", "invalid_value");
  const std::string param = "response_format.json_schema";
  if (!rf.contains("json_schema") || !rf["json_schema"].is_object())
    throw invalid_request(param + " is required and must be an object", param, "invalid_type");
  const auto& js = rf["json_schema"];
  if (js.contains("name") && js["name"].is_string()) f.name = js["name"].get<std::string>();
  if (js.contains("strict") && js["strict"].is_boolean()) f.strict = js["strict"].get<bool>();
  if (!js.contains("schema")) {
    f.schema = nlohmann::ordered_json::object();  // OpenAI: no schema admits any JSON object
    f.schema["type"] = "object";
    return f;
  }
  auto ordered =
      raw.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json::parse(raw, nullptr, false);
  if (!ordered.is_discarded() && ordered.is_object())
    f.schema = ordered["response_format"]["json_schema"]["schema"];
  else
    f.schema = nlohmann::ordered_json::parse(js["schema"].dump());
  return f;
}

}  // namespace

ChatRequest parse_chat_request(const json& body, const RequestLimits& limits,
                               const std::string& raw) {
  if (!body.is_object()) throw invalid_request("the request body must be a JSON object");
  refuse_unknown_fields(body, {"messages", "logprobs", "top_logprobs", "response_format", "tools",
                               "tool_choice", "parallel_tool_calls"});
  ChatRequest r;
  parse_generation_params(body, limits, r);
  r.messages = parse_messages(body);
  if (body.contains("logprobs") && !body["logprobs"].is_null()) {
    if (!body["logprobs"].is_boolean())
      throw invalid_request("logprobs must be a boolean", "logprobs", "invalid_type");
    r.logprobs = body["logprobs"].get<bool>();
  }
  if (body.contains("top_logprobs") && !body["top_logprobs"].is_null()) {
    const auto& t = body["top_logprobs"];
    if (!t.is_number_integer() || t.get<std::int64_t>() < 0 || t.get<std::int64_t>() > 20)
      throw invalid_request("top_logprobs must be an integer from 0 to 20", "top_logprobs",
                            "invalid_value");
    if (!r.logprobs)
      throw invalid_request("top_logprobs requires logprobs to be true", "top_logprobs",
                            "invalid_value");
    r.top_logprobs = t.get<std::int64_t>();
  }
  r.response_format = parse_response_format(body, raw);
  if (body.contains("tools") && !body["tools"].is_null() && !body["tools"].empty())
    throw invalid_request("tools are not supported", "tools", "unsupported_value");
  return r;
}

}  // namespace chosei
