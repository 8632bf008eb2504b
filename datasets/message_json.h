#pragma once
// The JSON shapes of chat messages that every dataset reader meets: OpenAI-style
// {"role", "content"} objects (content as a string or LLaMA-Factory v1 text parts), ShareGPT
// {"from", "value"} turns, role aliases (human, gpt, bot, model), and the record-level error
// a reader reports at file:line. Shared by the chat and the preference readers.

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/conversation.h"

namespace chosei {

// A problem with one record: thrown by the parsers below, caught per record by a reader
// and turned into a DataError at the record's file:line.
struct RecordError {
  std::string kind, message;
};

// system | user | assistant | tool, from those or human, gpt, bot, model, function,
// observation. Throws RecordError.
std::string normalize_role(const std::string& role);
// A string, or a list of {"type": "text", "value"|"text": ...} parts.
std::string content_text(const nlohmann::ordered_json& content);
// A string field; "" when absent and not required. Throws RecordError.
std::string string_field(const nlohmann::ordered_json& record, const char* key, bool required);

// One {"role", "content", "weight"?, "tool_calls"?} message.
Turn message_turn(const nlohmann::ordered_json& message);
// A non-empty list of messages; `field` names the list in errors.
std::vector<Turn> message_list(const nlohmann::ordered_json& list, const std::string& field);
// One ShareGPT {"from", "value"} turn; "function_call" becomes an assistant turn with the
// call, "observation" a tool turn.
Turn sharegpt_turn(const nlohmann::ordered_json& turn);
// A record's "tools": OpenAI's list, or LLaMA-Factory's JSON string of bare functions; each
// as {"type": "function", "function": {...}} JSON text.
std::vector<std::string> tool_definitions(const nlohmann::ordered_json& tools);

// Every record of a JSONL file (numbered by line) or a JSON array file (numbered from 1),
// passed to `accept`; lines that are not JSON become invalid_json errors.
void for_each_json_record(
    const std::string& path,
    const std::function<void(const nlohmann::ordered_json&, std::size_t)>& accept,
    std::vector<DataError>& errors);

// "N invalid record(s) (kind: n, ...); first: file:line: message".
std::string summarize_errors(const std::vector<DataError>& errors);

}  // namespace chosei
