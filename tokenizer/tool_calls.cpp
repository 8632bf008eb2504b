#include "tokenizer/tool_calls.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace chosei {

namespace {

using ojson = nlohmann::ordered_json;

const char kChatmlTools[] =
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n";
const char kChatmlToolsEnd[] =
    "\n</tools>\n\nFor each function call, return a json object with function name and "
    "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": "
    "<function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
const char kLlama3Tools[] =
    "Given the following functions, please respond with a JSON for a function call with its "
    "proper arguments that best answers the given prompt.\n\nRespond in the format "
    "{\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do "
    "not use variables.\n\n";

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string call_text(const ToolCallSyntax& syntax, const ToolCall& call) {
  auto args = ojson::parse(call.arguments.empty() ? "{}" : call.arguments, nullptr, false);
  const std::string a = args.is_discarded() ? call.arguments : args.dump();
  return syntax.prefix + "{\"name\": " + ojson(call.name).dump() + ", \"" + syntax.arguments_key +
         "\": " + a + "}" + syntax.suffix;
}

// {"name": ..., "arguments"|"parameters": {...}} as a call; false when it is not one.
bool read_call(const std::string& text, ToolCall* call) {
  const auto j = ojson::parse(trim(text), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_string())
    return false;
  call->name = j["name"].get<std::string>();
  const char* key = j.contains("arguments") ? "arguments" : "parameters";
  if (!j.contains(key)) {
    call->arguments = "{}";
    return true;
  }
  const auto& args = j[key];
  if (args.is_string()) {  // arguments sent as a JSON string
    const auto inner = ojson::parse(args.get<std::string>(), nullptr, false);
    if (inner.is_discarded() || !inner.is_object()) return false;
    call->arguments = inner.dump();
    return true;
  }
  if (!args.is_object()) return false;
  call->arguments = args.dump();
  return true;
}

// Mistral: [TOOL_CALLS] then a JSON array of {"name", "arguments"}.
ParsedReply read_mistral_calls(const std::string& reply) {
  const auto at = reply.find("[TOOL_CALLS]");
  if (at == std::string::npos) return {reply, {}};
  const auto calls = ojson::parse(trim(reply.substr(at + 12)), nullptr, false);
  if (calls.is_discarded() || !calls.is_array() || calls.empty()) return {reply, {}};
  ParsedReply r{trim(reply.substr(0, at)), {}};
  for (const auto& c : calls) {
    ToolCall call;
    if (!read_call(c.dump(), &call)) return {reply, {}};
    r.calls.push_back(call);
  }
  return r;
}

}  // namespace

ToolConvention tool_convention(const ChatTemplate& tmpl) {
  if (tmpl.name() == "chatml") return ToolConvention::kHermes;
  if (tmpl.name() == "llama3") return ToolConvention::kLlama3Json;
  const std::string& source = tmpl.jinja();
  auto has = [&](const char* s) { return source.find(s) != std::string::npos; };
  if (has("<tool_call>")) return ToolConvention::kHermes;
  if (has("[TOOL_CALLS]")) return ToolConvention::kMistral;
  if (has("<|python_tag|>") || has("ipython")) return ToolConvention::kLlama3Json;
  return ToolConvention::kNone;
}

bool supports_tools(const ChatTemplate& tmpl) {
  return tool_convention(tmpl) != ToolConvention::kNone;
}

ToolCallSyntax tool_call_syntax(const ChatTemplate& tmpl) {
  switch (tool_convention(tmpl)) {
    case ToolConvention::kHermes:
      return {"<tool_call>\n", "arguments", "\n</tool_call>", "\n", "<tool_call>"};
    case ToolConvention::kLlama3Json:
      return {"", "parameters", "", "", "{\"name\": "};
    case ToolConvention::kMistral:
      return {"[TOOL_CALLS][", "arguments", "]", "", "[TOOL_CALLS]"};
    case ToolConvention::kNone:
      break;
  }
  throw std::invalid_argument("the " + tmpl.name() +
                              " chat template has no tool-calling convention (Hermes <tool_call> "
                              "as Qwen and chatml, Llama 3.1 JSON, Mistral [TOOL_CALLS])");
}

bool uses_tools(const std::vector<ChatMessage>& messages, const std::vector<std::string>& tools) {
  if (!tools.empty()) return true;
  for (const auto& m : messages)
    if (m.role == "tool" || !m.tool_calls.empty()) return true;
  return false;
}

std::vector<ChatMessage> tool_messages(const ChatTemplate& tmpl,
                                       const std::vector<ChatMessage>& messages,
                                       const std::vector<std::string>& tools) {
  const auto syntax = tool_call_syntax(tmpl);
  const auto convention = tool_convention(tmpl);
  if (convention == ToolConvention::kMistral)
    throw std::invalid_argument("the " + tmpl.name() +
                                " chat template does not write tools: Mistral's convention needs "
                                "the model's own template");
  const bool chatml = convention == ToolConvention::kHermes;
  std::vector<ChatMessage> out;
  std::size_t start = 0;
  if (!tools.empty() && chatml) {
    std::string system;
    if (!messages.empty() && messages[0].role == "system")
      system = messages[start++].content + "\n\n";
    std::string listed;
    for (const auto& t : tools) listed += (listed.empty() ? "" : "\n") + t;
    out.push_back({"system", system + kChatmlTools + listed + kChatmlToolsEnd});
  }
  bool tools_told = tools.empty() || chatml;
  for (std::size_t i = start; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (m.role == "tool") {
      if (!chatml) {
        out.push_back({"ipython", m.content, false});
        continue;
      }
      std::string results = "<tool_response>\n" + m.content + "\n</tool_response>";
      while (i + 1 < messages.size() && messages[i + 1].role == "tool")
        results += "\n<tool_response>\n" + messages[++i].content + "\n</tool_response>";
      out.push_back({"user", results, false});
      continue;
    }
    ChatMessage plain{m.role, m.content, m.labeled};
    if (m.role == "user" && !tools_told) {  // Llama 3.1: tools in the first user message
      std::string listed;
      for (const auto& t : tools) listed += ojson::parse(t).dump(4) + "\n\n";
      plain.content = kLlama3Tools + listed + m.content;
      tools_told = true;
    }
    if (!m.tool_calls.empty()) {
      std::string calls;
      for (const auto& c : m.tool_calls)
        calls += (calls.empty() ? "" : "\n") + call_text(syntax, c);
      plain.content = trim(m.content).empty() ? calls : m.content + "\n" + calls;
    }
    out.push_back(std::move(plain));
  }
  return out;
}

ParsedReply parse_tool_calls(const ChatTemplate& tmpl, const std::string& reply) {
  ParsedReply r;
  const auto syntax = tool_call_syntax(tmpl);
  const auto convention = tool_convention(tmpl);
  if (convention == ToolConvention::kLlama3Json) {
    ToolCall call;
    std::string t = trim(reply);
    if (t.rfind("<|python_tag|>", 0) == 0) t = trim(t.substr(14));
    if (!t.empty() && t[0] == '{' && read_call(t, &call))
      r.calls.push_back(call);
    else
      r.content = reply;
    return r;
  }
  if (convention == ToolConvention::kMistral) return read_mistral_calls(reply);
  std::size_t pos = reply.find(syntax.trigger);
  r.content = trim(reply.substr(0, pos));
  while (pos != std::string::npos) {
    const auto body = pos + syntax.trigger.size();
    const auto end = reply.find("</tool_call>", body);
    ToolCall call;
    if (end == std::string::npos || !read_call(reply.substr(body, end - body), &call)) {
      return {reply, {}};  // malformed: the reply stays text
    }
    r.calls.push_back(call);
    pos = reply.find(syntax.trigger, end);
  }
  return r;
}

}  // namespace chosei
