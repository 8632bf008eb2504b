#pragma once
// Conversation: one training example in chosei's internal form, whatever file format it
// came from (OpenAI chat JSONL, ShareGPT, Alpaca, CSV with a column mapping).

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chosei {

struct Turn {
  std::string role;  // system | user | assistant | tool (a tool's result, never a target)
  std::string content;
  std::optional<double> weight;  // OpenAI's per-message "weight": 0 masks an assistant turn
  // An assistant turn's function calls: (name, arguments as JSON text).
  std::vector<std::pair<std::string, std::string>> tool_calls = {};
  // An assistant turn's thinking (the reasoning_content field Qwen3's and DeepSeek's
  // templates render).
  std::string reasoning_content = {};
};

struct Conversation {
  std::vector<Turn> turns;
  // The functions the conversation may call, each as OpenAI's {"type": "function",
  // "function": {...}} JSON text.
  std::vector<std::string> tools;
  std::map<std::string, std::string> fields;  // extra top-level string fields (e.g. "intent")
  std::string source;                         // file the example came from
  std::size_t line = 0;  // its line (JSONL, CSV) or element number (JSON array)
};

// A problem found in an input file, located precisely.
struct DataError {
  std::string source;
  std::size_t line = 0;
  std::string kind;     // e.g. "invalid_json", "missing_messages_list"
  std::string message;  // human-readable detail
  std::string where() const { return source + ":" + std::to_string(line); }
};

}  // namespace chosei
