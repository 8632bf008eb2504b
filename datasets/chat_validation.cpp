#include "datasets/chat_validation.h"

#include <nlohmann/json.hpp>
#include <set>

#include "base/unicode_text.h"
#include "datasets/text_lines.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

using nlohmann::json;

namespace {

const std::set<std::string> kKnownKeys = {"role",   "content",    "name",        "function_call",
                                          "weight", "tool_calls", "tool_call_id"};
const std::set<std::string> kKnownRoles = {"system", "user", "assistant", "function", "tool"};

class ExampleChecker {
 public:
  ExampleChecker(ValidationReport& report, const std::string& path, std::size_t line)
      : report_(report), path_(path), line_(line) {}

  void error(const std::string& kind, const std::string& message) {
    ++report_.error_counts[kind];
    report_.errors.push_back({path_, line_, kind, message});
  }

  // The notebook's per-message checks, each error counted once per message.
  void check_message(const json& m, std::size_t index) {
    const std::string at = "message " + std::to_string(index + 1);
    if (!m.is_object()) return error("data_type", at + " is not an object");
    const bool calls = m.contains("tool_calls") || m.contains("function_call");
    if (!m.contains("role") || (!m.contains("content") && !calls))
      error("message_missing_key", at + " lacks \"role\" or \"content\"");
    for (auto it = m.begin(); it != m.end(); ++it)
      if (!kKnownKeys.count(it.key())) {
        error("message_unrecognized_key", at + " has key \"" + it.key() + "\"");
        break;
      }
    if (m.contains("role") &&
        (!m["role"].is_string() || !kKnownRoles.count(m["role"].get<std::string>())))
      error("unrecognized_role", at + " has role " + m["role"].dump());
    // The notebook: (content falsy and no function_call) or content not a string.
    const json* c = m.contains("content") ? &m["content"] : nullptr;
    const bool is_str = c && c->is_string();
    const bool truthy = c && !c->is_null() && !(is_str && c->get<std::string>().empty()) &&
                        !((c->is_array() || c->is_object()) && c->empty()) &&
                        !(c->is_boolean() && !c->get<bool>()) &&
                        !(c->is_number() && c->get<double>() == 0);
    if (calls && !truthy) return;  // a call needs no text (OpenAI's tool-calling examples)
    if (!truthy || !is_str)
      error("missing_content", at + " has no text content");
    else if (c->get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos)
      error("empty_turn", at + " is only whitespace");
  }

 private:
  ValidationReport& report_;
  const std::string& path_;
  std::size_t line_;
};

void count_tokens(const json& messages, const Tokenizer& tok, ValidationReport& r,
                  ExampleChecker& check, std::int64_t max_tokens) {
  std::int64_t total = 0, assistant = 0;
  for (const auto& m : messages) {
    if (!m.is_object() || !m.contains("content") || !m["content"].is_string()) continue;
    auto n = static_cast<std::int64_t>(tok.encode_plain(m["content"].get<std::string>()).size());
    total += n + 4;  // ~4 template tokens per turn (role header and end-of-turn marker)
    if (m.value("role", "") == "assistant") assistant += n;
  }
  r.example_tokens.push_back(total);
  r.assistant_tokens.push_back(assistant);
  if (total > max_tokens)
    check.error("too_long", std::to_string(total) + " tokens after tokenization, more than " +
                                std::to_string(max_tokens));
}

void check_example(const std::string& line_text, const std::string& path, std::size_t line,
                   const ValidationOptions& opt, ValidationReport& r) {
  ++r.examples;
  ExampleChecker check(r, path, line);
  if (!is_valid_utf8(line_text)) return check.error("invalid_utf8", "the line is not valid UTF-8");
  json j = json::parse(line_text, nullptr, false);
  if (j.is_discarded()) return check.error("invalid_json", "the line is not valid JSON");
  if (!j.is_object()) return check.error("data_type", "the line is not a JSON object");
  if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty())
    return check.error("missing_messages_list", "\"messages\" is missing or empty");
  const json& messages = j["messages"];
  std::string previous_role;
  bool has_system = false, has_user = false, has_assistant = false, repeated = false;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    check.check_message(messages[i], i);
    if (!messages[i].is_object() || !messages[i].contains("role") ||
        !messages[i]["role"].is_string())
      continue;
    const std::string role = messages[i]["role"].get<std::string>();
    has_system |= role == "system";
    has_user |= role == "user";
    has_assistant |= role == "assistant";
    if (role == previous_role && role != "tool" && !repeated) {  // parallel results may follow
      check.error("consecutive_same_role", "messages " + std::to_string(i) + " and " +
                                               std::to_string(i + 1) + " are both " + role);
      repeated = true;
    }
    previous_role = role;
  }
  if (!has_assistant) check.error("example_missing_assistant_message", "no assistant message");
  r.missing_system += !has_system;
  r.missing_user += !has_user;
  r.messages_per_example.push_back(static_cast<std::int64_t>(messages.size()));
  if (opt.tokenizer) count_tokens(messages, *opt.tokenizer, r, check, opt.max_tokens);
}

}  // namespace

std::int64_t default_epochs(std::int64_t n) {
  // TARGET_EPOCHS 3, MIN_TARGET_EXAMPLES 100, MAX_TARGET_EXAMPLES 25000, epochs in [1, 25].
  if (n <= 0) return 0;
  if (n * 3 < 100) return std::min<std::int64_t>(25, 100 / n);
  if (n * 3 > 25000) return std::max<std::int64_t>(1, 25000 / n);
  return 3;
}

ValidationReport validate_chat_jsonl(const std::string& path, const ValidationOptions& opt) {
  ValidationReport r;
  for (const auto& line : read_nonblank_lines(path))
    check_example(line.text, path, line.number, opt, r);
  r.epochs = default_epochs(r.examples);
  return r;
}

}  // namespace chosei
