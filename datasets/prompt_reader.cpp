#include "datasets/prompt_reader.h"

#include <set>
#include <stdexcept>

#include "datasets/message_json.h"

namespace chosei {

using json =
    nlohmann::ordered_json;  // key order as written: templates print tools and arguments in it

namespace {

PromptRecord parse_prompt(const json& record, std::size_t line) {
  if (!record.is_object()) throw RecordError{"not_an_object", "a prompt record is a JSON object"};
  PromptRecord p;
  p.line = line;
  p.id = record.contains("id") && record["id"].is_string() ? record["id"].get<std::string>()
         : record.contains("id") && record["id"].is_number_integer()
             ? std::to_string(record["id"].get<long long>())
             : "line-" + std::to_string(line);
  if (record.contains("messages")) {
    p.turns = message_list(record["messages"], "messages");
  } else if (record.contains("prompt") && record["prompt"].is_array()) {
    p.turns = message_list(record["prompt"], "prompt");
  } else if (record.contains("prompt") && record["prompt"].is_string()) {
    const auto text = record["prompt"].get<std::string>();
    if (text.empty()) throw RecordError{"empty_prompt", "\"prompt\" is empty"};
    p.turns = {{"user", text, std::nullopt}};
    p.text_prompt = true;
  } else {
    throw RecordError{"missing_prompt",
                      "expected \"prompt\" (a string or messages) or \"messages\""};
  }
  if (p.turns.back().role != "user")
    throw RecordError{"prompt_not_ending_with_user", "the conversation ends with a " +
                                                         p.turns.back().role +
                                                         " message; a prompt ends with the user's"};
  return p;
}

}  // namespace

std::vector<PromptRecord> read_prompt_file(const std::string& path) {
  std::vector<PromptRecord> prompts;
  std::vector<DataError> errors;
  std::set<std::string> ids;
  for_each_json_record(
      path,
      [&](const json& record, std::size_t line) {
        try {
          auto p = parse_prompt(record, line);
          if (!ids.insert(p.id).second)
            throw RecordError{"duplicate_id", "the id \"" + p.id + "\" is used twice"};
          prompts.push_back(std::move(p));
        } catch (const RecordError& e) {
          errors.push_back({path, line, e.kind, e.message});
        }
      },
      errors);
  if (!errors.empty()) throw std::runtime_error(path + ": " + summarize_errors(errors));
  if (prompts.empty()) throw std::runtime_error(path + ": no prompts");
  return prompts;
}

}  // namespace chosei
