#include "datasets/chat_reader.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/atomic_file.h"
#include "base/unicode_text.h"
#include "datasets/csv_reader.h"
#include "datasets/message_json.h"
#include "datasets/text_lines.h"

namespace chosei {

using json =
    nlohmann::ordered_json;  // key order as written: templates print tools and arguments in it

namespace {

Conversation from_openai(const json& j) {
  Conversation c;
  c.turns = message_list(j["messages"], "messages");
  if (j.contains("tools") && !j["tools"].is_null()) c.tools = tool_definitions(j["tools"]);
  return c;
}

Conversation from_sharegpt(const json& j) {
  if (!j["conversations"].is_array() || j["conversations"].empty())
    throw RecordError{"missing_messages_list", "\"conversations\" is not a non-empty list"};
  Conversation c;
  std::string system = string_field(j, "system", false);
  if (!system.empty()) c.turns.push_back({"system", system, std::nullopt});
  for (const auto& m : j["conversations"]) c.turns.push_back(sharegpt_turn(m));
  if (j.contains("tools") && !j["tools"].is_null()) c.tools = tool_definitions(j["tools"]);
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
  for_each_json_record(path, accept, errors);
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
    : std::runtime_error(summarize_errors(errors)), errors_(std::move(errors)) {}

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
