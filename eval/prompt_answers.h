#pragma once
// Answers many conversations with one model at once: every request goes through the batched
// generation loop (continuous batching, the server's decoder), so labeling sessions built
// from prompts and evaluations decode `max_batch` answers per step instead of one.

#include <cstdint>
#include <string>
#include <vector>

#include "base/precision.h"
#include "datasets/prompt_reader.h"
#include "generate/sampler.h"
#include "model/llama_model.h"
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

// The request that answers `prompt` (its conversation through the template, or completed raw
// when it was given as text) with these sampling settings.
AnswerRequest prompt_request(const PromptRecord& prompt, const SamplingOptions& sampling,
                             std::int64_t max_new_tokens);

struct PromptAnswer {
  std::string text, finish_reason;  // finish_reason: stop | length
  std::int64_t prompt_tokens = 0, completion_tokens = 0;
  // The ids decoded from and sampled: the completion ends with the EOS or end-of-turn token
  // that stopped it (none when cut at the length limit).
  std::vector<TokenId> prompt_ids, completion_ids;
};

struct AnswerBatchOptions {
  std::int64_t max_batch = 8;
  Precision precision = Precision::kFP32;
};

// A model in memory, ready to answer: a policy being trained answers this way.
struct AnsweringModel {
  LlamaForCausalLM model{nullptr};
  const Tokenizer* tokenizer = nullptr;
  ChatTemplate tmpl = ChatTemplate::by_name("chatml");
  std::vector<TokenId> eos_ids;  // the model's EOS ids (raw prompts stop at these only)
  std::string name;              // for errors: the directory or run it came from
};

// Answers every request with `m` (its weights as they are now), in request order. Throws
// naming the request's index when its prompt leaves no room in the model's context or
// decoding fails.
std::vector<PromptAnswer> answer_requests(const AnsweringModel& m,
                                          const std::vector<AnswerRequest>& requests,
                                          const AnswerBatchOptions& options = {});

// Loads the model in `model_dir` (its chat template chosen as the server chooses it) and
// answers every request, in request order. Throws naming the request's index when its prompt
// leaves no room in the model's context or decoding fails.
std::vector<PromptAnswer> answer_requests(const std::string& model_dir,
                                          const std::vector<AnswerRequest>& requests,
                                          const AnswerBatchOptions& options = {});

}  // namespace chosei
