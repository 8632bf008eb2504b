#pragma once
// Answers many conversations with one model at once: every request goes through the batched
// generation loop (continuous batching, the server's decoder), so labeling sessions built
// from prompts and evaluations decode `max_batch` answers per step instead of one.

#include <cstdint>
#include <string>
#include <vector>

#include "base/precision.h"
#include "generate/sampler.h"
#include "tokenizer/chat_template.h"

namespace chosei {

struct AnswerRequest {
  std::vector<ChatMessage> messages;  // ends with the user's message
  // A raw completion of messages.back().content: no chat template, stopping at EOS only (a
  // {"prompt": "text"} record, as TRL completes raw strings; `chosei generate` without --chat).
  bool raw = false;
  SamplingOptions sampling;
  std::int64_t max_new_tokens = 256;
};

struct PromptAnswer {
  std::string text, finish_reason;  // finish_reason: stop | length
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
};

struct AnswerBatchOptions {
  std::int64_t max_batch = 8;
  Precision precision = Precision::kFP32;
};

// Loads the model in `model_dir` (its chat template chosen as the server chooses it) and
// answers every request, in request order. Throws naming the request's index when its prompt
// leaves no room in the model's context or decoding fails.
std::vector<PromptAnswer> answer_requests(const std::string& model_dir,
                                          const std::vector<AnswerRequest>& requests,
                                          const AnswerBatchOptions& options = {});

}  // namespace chosei
