#pragma once
// Validation of chat fine-tuning JSONL: the format checks of OpenAI's data-preparation
// notebook (openai-cookbook Chat_finetuning_data_prep.ipynb; summarized in
// ../shared/data/openai_cookbook_finetune/VALIDATION_RULES.md), plus chosei's own:
// invalid UTF-8, whitespace-only turns, two turns of the same role in a row, and, given a
// tokenizer, examples too long after tokenization. Missing system or user messages are
// warnings, as in the notebook.
//
// Each error names its line; counts are kept per kind. The default epoch count follows
// the notebook (3 epochs, raised toward 100 examples' worth, lowered toward 25,000).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tokenizer/conversation.h"

namespace chosei {

class Tokenizer;

struct ValidationOptions {
  const Tokenizer* tokenizer = nullptr;  // enables token counts and the too_long check
  std::int64_t max_tokens = 4096;
};

struct [[nodiscard]] ValidationReport {
  std::int64_t examples = 0;
  std::map<std::string, std::int64_t> error_counts;
  std::vector<DataError> errors;
  std::int64_t missing_system = 0, missing_user = 0;
  std::int64_t epochs = 0;
  // With a tokenizer: tokens per example (content of every turn) and assistant tokens.
  std::vector<std::int64_t> example_tokens, assistant_tokens;
  std::vector<std::int64_t> messages_per_example;
  bool ok() const { return errors.empty(); }
};

ValidationReport validate_chat_jsonl(const std::string& path,
                                     const ValidationOptions& options = {});

// The notebook's default epochs for n examples.
std::int64_t default_epochs(std::int64_t n);

}  // namespace chosei
