#include "datasets/message_json.h"

#include <map>

#include "base/atomic_file.h"
#include "datasets/text_lines.h"

namespace chosei {

using json =
    nlohmann::ordered_json;  // key order as written: templates print tools and arguments in it

namespace {

// A call's arguments as compact JSON text, from an object or a JSON string.
std::string call_arguments(const json& f) {
  if (!f.contains("arguments") || f["arguments"].is_null()) return "{}";
  const auto& a = f["arguments"];
  if (a.is_object()) return a.dump();
  const auto parsed = a.is_string() ? json::parse(a.get<std::string>(), nullptr, false) : json();
  if (!parsed.is_object())
    throw RecordError{"invalid_tool_call", "tool call arguments are not a JSON object"};
  return parsed.dump();
}

}  // namespace

std::string normalize_role(const std::string& role) {
  if (role == "system" || role == "user" || role == "assistant" || role == "tool") return role;
  if (role == "function" || role == "observation") return "tool";
  if (role == "human") return "user";
  if (role == "gpt" || role == "bot" || role == "model") return "assistant";
  throw RecordError{"unrecognized_role",
                    "role \"" + role + "\" is not system, user, assistant or tool"};
}

std::string content_text(const json& c) {
  if (c.is_string()) return c.get<std::string>();
  if (c.is_array()) {
    std::string text;
    for (const auto& part : c) {
      if (part.is_object() && part.value("type", "") == "text") {
        if (part.contains("value") && part["value"].is_string())
          text += part["value"].get<std::string>();
        else if (part.contains("text") && part["text"].is_string())
          text += part["text"].get<std::string>();
        else
          throw RecordError{"wrong_type", "text part without a string value"};
      } else {
        throw RecordError{"unsupported_content", "only text content parts are supported"};
      }
    }
    return text;
  }
  throw RecordError{"missing_content", "message content is not a string"};
}

std::string string_field(const json& j, const char* key, bool required) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required)
      throw RecordError{"missing_field", std::string("field \"") + key + "\" is missing"};
    return "";
  }
  if (!j[key].is_string())
    throw RecordError{"wrong_type", std::string("field \"") + key + "\" is not a string"};
  return j[key].get<std::string>();
}

// OpenAI's tool_calls: [{"type": "function", "function": {"name", "arguments": "<JSON>"}}].
std::vector<std::pair<std::string, std::string>> tool_call_list(const json& calls) {
  if (!calls.is_array()) throw RecordError{"wrong_type", "tool_calls is not a list"};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : calls) {
    const json& f = c.is_object() && c.contains("function") ? c["function"] : c;
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string())
      throw RecordError{"wrong_type", "a tool call lacks a function name"};
    out.push_back({f["name"].get<std::string>(), call_arguments(f)});
  }
  return out;
}

Turn message_turn(const json& m) {
  if (!m.is_object()) throw RecordError{"data_type", "a message is not an object"};
  const bool calls = m.contains("tool_calls") && !m["tool_calls"].is_null();
  if (!m.contains("role") || (!m.contains("content") && !calls))
    throw RecordError{"message_missing_key", "a message lacks \"role\" or \"content\""};
  if (!m["role"].is_string()) throw RecordError{"wrong_type", "role is not a string"};
  const bool no_content = !m.contains("content") || m["content"].is_null();
  Turn t{normalize_role(m["role"].get<std::string>()),
         calls && no_content ? "" : content_text(m["content"]),
         std::nullopt,
         {}};
  if (calls) t.tool_calls = tool_call_list(m["tool_calls"]);
  if (m.contains("reasoning_content") && !m["reasoning_content"].is_null()) {
    if (!m["reasoning_content"].is_string())
      throw RecordError{"wrong_type", "reasoning_content is not a string"};
    t.reasoning_content = m["reasoning_content"].get<std::string>();
  }
  for (const char* key : {"weight", "loss_weight"})
    if (m.contains(key)) {
      if (!m[key].is_number())
        throw RecordError{"wrong_type", std::string(key) + " is not a number"};
      t.weight = m[key].get<double>();
    }
  return t;
}

std::vector<Turn> message_list(const json& list, const std::string& field) {
  if (!list.is_array() || list.empty())
    throw RecordError{"missing_messages_list", "\"" + field + "\" is not a non-empty list"};
  std::vector<Turn> turns;
  for (const auto& m : list) turns.push_back(message_turn(m));
  return turns;
}

Turn sharegpt_turn(const json& m) {
  if (!m.is_object() || !m.contains("from") || !m.contains("value") || !m["from"].is_string())
    throw RecordError{"message_missing_key", "a turn lacks \"from\" or \"value\""};
  const std::string from = m["from"].get<std::string>();
  if (from == "function_call") {  // LLaMA-Factory: {"name", "arguments"} as the value's JSON
    const auto call = json::parse(content_text(m["value"]), nullptr, false);
    if (call.is_discarded() || !call.is_object() || !call.contains("name") ||
        !call["name"].is_string())
      throw RecordError{"invalid_tool_call",
                        "a function_call turn is not {\"name\", \"arguments\"} JSON"};
    return {
        "assistant", "", std::nullopt, {{call["name"].get<std::string>(), call_arguments(call)}}};
  }
  return {normalize_role(from), content_text(m["value"]), std::nullopt, {}};
}

std::vector<std::string> tool_definitions(const json& tools) {
  using ojson = nlohmann::ordered_json;
  // LLaMA-Factory keeps the list as a JSON string: parsed in order, keys stay as written.
  ojson list = tools.is_string() ? ojson::parse(tools.get<std::string>(), nullptr, false)
                                 : ojson::parse(tools.dump());
  if (tools.is_string() && tools.get<std::string>().empty()) return {};
  if (!list.is_array()) throw RecordError{"wrong_type", "tools is not a list of functions"};
  std::vector<std::string> out;
  for (const auto& t : list) {
    const ojson f = t.is_object() && t.contains("function") ? t["function"] : t;
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string())
      throw RecordError{"wrong_type", "a tool lacks a function name"};
    ojson def = ojson::object();
    def["type"] = "function";
    def["function"] = f;
    out.push_back(def.dump());
  }
  return out;
}

void for_each_json_record(const std::string& path,
                          const std::function<void(const json&, std::size_t)>& accept,
                          std::vector<DataError>& errors) {
  std::string text = read_file(path);
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {  // a JSON array: records numbered from 1
    json arr = json::parse(text, nullptr, false);
    if (arr.is_discarded()) throw std::runtime_error(path + ": not valid JSON");
    for (std::size_t i = 0; i < arr.size(); ++i) accept(arr[i], i + 1);
    return;
  }
  for (const auto& l : split_nonblank_lines(text)) {
    json j = json::parse(l.text, nullptr, false);
    if (j.is_discarded())
      errors.push_back({path, l.number, "invalid_json", "the line is not valid JSON"});
    else
      accept(j, l.number);
  }
}

std::string summarize_errors(const std::vector<DataError>& errors) {
  std::map<std::string, int> kinds;
  for (const auto& e : errors) ++kinds[e.kind];
  std::string msg = std::to_string(errors.size()) + " invalid record(s) (";
  bool first = true;
  for (const auto& [k, n] : kinds)
    msg += (first ? "" : ", ") + k + ": " + std::to_string(n), first = false;
  msg += "); first: " + errors.front().where() + ": " + errors.front().message;
  return msg;
}

}  // namespace chosei
