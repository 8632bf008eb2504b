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

std::vector<ToolCall> parse_tool_calls_field(const json& calls, const std::string& param) {
  if (!calls.is_array()) throw invalid_request(param + " must be an array", param, "invalid_type");
  std::vector<ToolCall> out;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string at = param + "[" + std::to_string(i) + "]";
    const auto& c = calls[i];
    if (!c.is_object() || !c.contains("function") || !c["function"].is_object() ||
        !c["function"].contains("name") || !c["function"]["name"].is_string())
      throw invalid_request(at + " must be {\"type\": \"function\", \"function\": {\"name\", "
                                 "\"arguments\"}}",
                            at, "invalid_type");
    const auto& f = c["function"];
    ToolCall call{c.value("id", ""), f["name"].get<std::string>(), "{}"};
    if (f.contains("arguments") && f["arguments"].is_string())
      call.arguments = f["arguments"].get<std::string>();
    out.push_back(call);
  }
  return out;
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
    if (role != "system" && role != "user" && role != "assistant" && role != "tool")
      throw invalid_request(
          "role \"" + role + "\" is not supported (system, developer, user, assistant, tool)",
          param + ".role", "unsupported_value");
    ChatMessage msg{
        role, content_text(m.contains("content") ? m["content"] : json(), param + ".content")};
    if (role == "assistant" && m.contains("tool_calls") && !m["tool_calls"].is_null())
      msg.tool_calls = parse_tool_calls_field(m["tool_calls"], param + ".tool_calls");
    if (role == "tool" && m.contains("tool_call_id") && m["tool_call_id"].is_string())
      msg.tool_call_id = m["tool_call_id"].get<std::string>();
    if (role == "assistant" && m.contains("reasoning_content") &&
        !m["reasoning_content"].is_null()) {
      if (!m["reasoning_content"].is_string())
        throw invalid_request(param + ".reasoning_content must be a string",
                              param + ".reasoning_content", "invalid_type");
      msg.reasoning_content = m["reasoning_content"].get<std::string>();
    }
    out.push_back(std::move(msg));
  }
  return out;
}

// tools: [{"type": "function", "function": {"name", "description"?, "parameters"?}}];
// tool_choice: "none" | "auto" | "required" | {"type": "function", "function": {"name"}}.
ToolRequest parse_tools(const json& body, const std::string& raw) {
  ToolRequest t;
  if (!body.contains("tools") || body["tools"].is_null()) return t;
  const auto& tools = body["tools"];
  if (!tools.is_array()) throw invalid_request("tools must be an array", "tools", "invalid_type");
  const auto ordered =
      raw.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json::parse(raw, nullptr, false);
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const std::string at = "tools[" + std::to_string(i) + "]";
    const auto& tool = tools[i];
    if (!tool.is_object() || tool.value("type", "") != "function" || !tool.contains("function") ||
        !tool["function"].is_object() || !tool["function"].contains("name") ||
        !tool["function"]["name"].is_string())
      throw invalid_request(at + " must be {\"type\": \"function\", \"function\": {\"name\", ...}}",
                            at, "invalid_type");
    nlohmann::ordered_json def = ordered.is_object() && ordered.contains("tools")
                                     ? ordered["tools"][i]
                                     : nlohmann::ordered_json::parse(tool.dump());
    ToolFunction f{tool["function"]["name"].get<std::string>(),
                   def["function"].value("parameters", nlohmann::ordered_json())};
    t.functions.push_back(f);
    t.definitions.push_back(def.dump());
  }
  if (body.contains("tool_choice") && !body["tool_choice"].is_null()) {
    const auto& c = body["tool_choice"];
    if (c.is_string() && (c == "none" || c == "auto" || c == "required")) {
      t.choice = c.get<std::string>();
    } else if (c.is_object() && c.contains("function") && c["function"].is_object() &&
               c["function"].contains("name") && c["function"]["name"].is_string()) {
      t.choice = "function";
      t.forced = c["function"]["name"].get<std::string>();
      bool known = false;
      for (const auto& f : t.functions) known = known || f.name == t.forced;
      if (!known)
        throw invalid_request("tool_choice names the function " + t.forced + ", which tools lacks",
                              "tool_choice", "invalid_value");
    } else {
      throw invalid_request(
          "tool_choice must be none, auto, required or {\"type\": \"function\", ...}",
          "tool_choice", "invalid_value");
    }
  }
  if (body.contains("parallel_tool_calls") && body["parallel_tool_calls"].is_boolean())
    t.parallel = body["parallel_tool_calls"].get<bool>();
  return t;
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

std::map<std::string, std::string> parse_chat_template_kwargs(const json& body,
                                                              const std::string& raw) {
  std::map<std::string, std::string> out;
  if (!body.contains("chat_template_kwargs") || body["chat_template_kwargs"].is_null()) return out;
  if (!body["chat_template_kwargs"].is_object())
    throw invalid_request("chat_template_kwargs must be an object", "chat_template_kwargs",
                          "invalid_type");
  const auto ordered =
      raw.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json::parse(raw, nullptr, false);
  for (const auto& [name, value] : body["chat_template_kwargs"].items()) {
    if (name == "messages" || name == "tools" || name == "add_generation_prompt")
      throw invalid_request("chat_template_kwargs." + name + " is set by the request itself",
                            "chat_template_kwargs", "invalid_value");
    const bool kept = ordered.is_object() && ordered.contains("chat_template_kwargs");
    out[name] = kept ? ordered["chat_template_kwargs"][name].dump() : value.dump();
  }
  return out;
}

ChatRequest parse_chat_request(const json& body, const RequestLimits& limits,
                               const std::string& raw) {
  if (!body.is_object()) throw invalid_request("the request body must be a JSON object");
  refuse_unknown_fields(body, {"messages", "logprobs", "top_logprobs", "response_format", "tools",
                               "tool_choice", "parallel_tool_calls", "chat_template_kwargs"});
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
  r.tools = parse_tools(body, raw);
  r.chat_template_kwargs = parse_chat_template_kwargs(body, raw);
  if (r.tools.choice != "auto" && r.tools.choice != "none" && r.response_format.type != "text")
    throw invalid_request("a forced tool call and response_format cannot be combined",
                          "tool_choice", "invalid_value");
  return r;
}

}  // namespace chosei
