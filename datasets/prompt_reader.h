#pragma once
// Prompt files: what a model is asked to answer when answers are generated rather than
// given (labeling sessions from prompts, online alignment). One JSON record a line (or a
// JSON array): {"prompt": "text"}, {"prompt": [messages]} or {"messages": [messages]}, with
// an optional "id". The conversation must end with a user message: the model speaks next.

#include <cstddef>
#include <string>
#include <vector>

#include "tokenizer/conversation.h"

namespace chosei {

struct PromptRecord {
  std::string id;           // the record's "id", or "line-N"
  std::vector<Turn> turns;  // a text prompt becomes one user turn
  // Given as {"prompt": "text"}: completed raw (no chat template, as TRL completes raw
  // strings), by every command that answers prompts.
  bool text_prompt = false;
  std::size_t line = 0;
};

// Throws std::runtime_error naming file:line (summarize_errors) when any record is bad, two
// records share an id, or the file holds no prompt.
std::vector<PromptRecord> read_prompt_file(const std::string& path);

}  // namespace chosei
