#pragma once
// ToolCallReply: a choice's generated text on its way out when the request has tools. Text
// before a call streams as content; from the template's call trigger on (or from the start,
// when a call is forced) it is held back, and at the end it is read into tool_calls
// (tokenizer/tool_calls.h). A suffix that could still grow into the trigger is held too.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/tool_calls.h"

namespace chosei {

class ToolCallReply {
 public:
  ToolCallReply(ChatTemplate tmpl, bool forced);
  // The content that can be sent now.
  std::string push(const std::string& piece);
  // The end: what is left as content, and the calls read from the held text (ids made here).
  ParsedReply finish();

 private:
  ChatTemplate tmpl_;
  std::string trigger_;
  bool holding_all_;
  std::string held_;
};

// OpenAI's tool_calls array for `calls` (ids "call_" + random hex when missing).
nlohmann::json tool_calls_json(std::vector<ToolCall>& calls, bool with_index);

}  // namespace chosei
