#include "datasets/chat_reader.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/atomic_file.h"
#include "base/unicode_text.h"
#include "datasets/csv_reader.h"
#include "datasets/text_lines.h"

namespace chosei {

using nlohmann::json;

namespace {

std::string summarize(const std::vector<DataError>& errors) {
  std::map<std::string, int> kinds;
  for (const auto& e : errors) ++kinds[e.kind];
  std::string msg = std::to_string(errors.size()) + " invalid record(s) (";
  bool first = true;
  for (const auto& [k, n] : kinds)
    msg += (first ? "" : ", ") + k + ": " + std::to_string(n), first = false;
  msg += "); first: " + errors.front().where() + ": " + errors.front().message;
  return msg;
}

// A record problem: thrown inside the per-record parsers, caught per record.
struct RecordError {
  std::string kind, message;
};

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

std::string normalize_role(const std::string& role) {
  if (role == "system" || role == "user" || role == "assistant") return role;
  if (role == "human") return "user";
  if (role == "gpt" || role == "bot" || role == "model") return "assistant";
  throw RecordError{"unrecognized_role", "role \"" + role + "\" is not system, user or assistant"};
}

// LLaMA-Factory's v1 content: a list of {"type":"text","value":...} parts.
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

Conversation from_openai(const json& j) {
  if (!j["messages"].is_array() || j["messages"].empty())
    throw RecordError{"missing_messages_list", "\"messages\" is not a non-empty list"};
  Conversation c;
  for (const auto& m : j["messages"]) {
    if (!m.is_object()) throw RecordError{"data_type", "a message is not an object"};
    if (!m.contains("role") || !m.contains("content"))
      throw RecordError{"message_missing_key", "a message lacks \"role\" or \"content\""};
    if (!m["role"].is_string()) throw RecordError{"wrong_type", "role is not a string"};
    Turn t{normalize_role(m["role"].get<std::string>()), content_text(m["content"]), std::nullopt};
    for (const char* key : {"weight", "loss_weight"})
      if (m.contains(key)) {
        if (!m[key].is_number())
          throw RecordError{"wrong_type", std::string(key) + " is not a number"};
        t.weight = m[key].get<double>();
      }
    c.turns.push_back(std::move(t));
  }
  return c;
}

Conversation from_sharegpt(const json& j) {
  if (!j["conversations"].is_array() || j["conversations"].empty())
    throw RecordError{"missing_messages_list", "\"conversations\" is not a non-empty list"};
  Conversation c;
  std::string system = string_field(j, "system", false);
  if (!system.empty()) c.turns.push_back({"system", system, std::nullopt});
  for (const auto& m : j["conversations"]) {
    if (!m.is_object() || !m.contains("from") || !m.contains("value") || !m["from"].is_string())
      throw RecordError{"message_missing_key", "a turn lacks \"from\" or \"value\""};
    const std::string from = m["from"].get<std::string>();
    if (from == "function_call" || from == "observation")
      throw RecordError{"unsupported_role",
                        "tool-calling turns (\"" + from + "\") are not supported yet"};
    c.turns.push_back({normalize_role(from), content_text(m["value"]), std::nullopt});
  }
  return c;
}

Conversation from_alpaca(const json& j) {
  Conversation c;
  std::string system = string_field(j, "system", false);
  if (!system.empty()) c.turns.push_back({"system", system, std::nullopt});
  if (j.contains("history") && j["history"].is_array())
    for (const auto& h : j["history"]) {
      if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string())
        throw RecordError{"wrong_type", "history entries must be [instruction, response] pairs"};
      c.turns.push_back({"user", h[0].get<std::string>(), std::nullopt});
      c.turns.push_back({"assistant", h[1].get<std::string>(), std::nullopt});
    }
  std::string user = string_field(j, "instruction", true);
  std::string input = string_field(j, "input", false);
  if (!input.empty()) user += "\n" + input;
  c.turns.push_back({"user", user, std::nullopt});
  c.turns.push_back({"assistant", string_field(j, "output", true), std::nullopt});
  return c;
}

Conversation from_json_record(const json& j, const ChatReadOptions& opt) {
  if (!j.is_object()) throw RecordError{"data_type", "the record is not a JSON object"};
  std::string format = opt.format;
  if (format == "auto")
    format = j.contains("messages")        ? "openai"
             : j.contains("conversations") ? "sharegpt"
             : j.contains("instruction")   ? "alpaca"
                                           : "";
  if (format.empty())
    throw RecordError{"missing_messages_list",
                      "no \"messages\", \"conversations\" or \"instruction\" field"};
  if (format != "openai" && format != "sharegpt" && format != "alpaca")
    throw std::invalid_argument("unknown chat format \"" + format + "\"");
  if (format == "openai" && !j.contains("messages"))
    throw RecordError{"missing_messages_list", "no \"messages\""};
  if (format == "sharegpt" && !j.contains("conversations"))
    throw RecordError{"missing_messages_list", "no \"conversations\""};
  Conversation c = format == "openai"     ? from_openai(j)
                   : format == "sharegpt" ? from_sharegpt(j)
                                          : from_alpaca(j);
  // Metadata such as "intent" or "lang" travels with the example through clean and convert,
  // so that a later split can still stratify by it.
  static const std::set<std::string> kFormatKeys = {
      "messages", "conversations", "instruction", "input", "output", "system", "history", "tools"};
  for (const auto& [key, value] : j.items())
    if (value.is_string() && !kFormatKeys.count(key)) c.fields[key] = value.get<std::string>();
  return c;
}

void check_text(const Conversation& c) {
  for (const auto& t : c.turns)
    if (!is_valid_utf8(t.content))
      throw RecordError{"invalid_utf8", "a " + t.role + " turn is not valid UTF-8"};
}

void read_json_records(const std::string& path, const ChatReadOptions& opt, ChatDataset& out,
                       std::vector<DataError>& errors) {
  auto accept = [&](const json& j, std::size_t line) {
    try {
      Conversation c = from_json_record(j, opt);
      check_text(c);
      c.source = path;
      c.line = line;
      out.conversations.push_back(std::move(c));
    } catch (const RecordError& e) {
      errors.push_back({path, line, e.kind, e.message});
    }
  };
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

void read_csv_records(const std::string& path, const ChatReadOptions& opt, ChatDataset& out,
                      std::vector<DataError>& errors) {
  if (opt.column_map.empty())
    throw std::invalid_argument(path + ": CSV input needs a column mapping (--map COLUMN=ROLE)");
  CsvTable table = read_csv(path);
  std::vector<std::pair<int, std::string>> columns;  // column index -> role, in mapping order
  for (const auto& [col, role] : opt.column_map) {
    int idx = table.column(col);
    if (idx < 0)
      throw std::invalid_argument(path + ": no column \"" + col + "\" (mapped to " + role + ")");
    columns.emplace_back(idx, role);
  }
  // Turn order: system, then user, then assistant, whatever the mapping's order.
  auto rank = [](const std::string& r) { return r == "system" ? 0 : r == "user" ? 1 : 2; };
  std::stable_sort(columns.begin(), columns.end(),
                   [&](const auto& a, const auto& b) { return rank(a.second) < rank(b.second); });
  for (const auto& rec : table.records) {
    Conversation c;
    c.source = path;
    c.line = rec.line;
    for (const auto& [idx, role] : columns)
      c.turns.push_back({role, rec.fields[idx], std::nullopt});
    for (const auto& f : opt.keep_fields) {
      int idx = table.column(f);
      if (idx < 0) throw std::invalid_argument(path + ": no column \"" + f + "\" to keep");
      c.fields[f] = rec.fields[idx];
    }
    try {
      check_text(c);
      out.conversations.push_back(std::move(c));
    } catch (const RecordError& e) {
      errors.push_back({path, rec.line, e.kind, e.message});
    }
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

DatasetError::DatasetError(std::vector<DataError> errors)
    : std::runtime_error(summarize(errors)), errors_(std::move(errors)) {}

ChatDataset read_chat_dataset(const std::string& path, const ChatReadOptions& opt) {
  ChatDataset out;
  std::vector<DataError> errors;
  const bool csv = opt.format == "csv" || (opt.format == "auto" && ends_with(path, ".csv"));
  if (csv)
    read_csv_records(path, opt, out, errors);
  else
    read_json_records(path, opt, out, errors);
  if (!errors.empty() && !opt.skip_invalid) throw DatasetError(std::move(errors));
  out.errors = std::move(errors);
  return out;
}

std::map<std::string, std::string> parse_column_map(const std::vector<std::string>& specs) {
  std::map<std::string, std::string> map;
  for (const auto& s : specs) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw std::invalid_argument("--map \"" + s + "\": expected COLUMN=ROLE");
    std::string role = s.substr(eq + 1);
    if (role != "system" && role != "user" && role != "assistant")
      throw std::invalid_argument("--map \"" + s + "\": role must be system, user or assistant");
    map[s.substr(0, eq)] = role;
  }
  return map;
}

}  // namespace chosei
