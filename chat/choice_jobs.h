#pragma once
// The generation jobs of one request: `n` choices of the same prompt, decoded together in the
// model's batch, choice i seeded with seed + i (so a seeded request is reproducible choice by
// choice), each connected to its slot of the GenerationChannel.

#include <functional>
#include <memory>
#include <vector>

#include "chat/generation_channel.h"
#include "chat/generation_params.h"
#include "chat/model_registry.h"

namespace chosei {

struct ChoiceJobs {
  std::vector<TokenId> prompt;
  std::int64_t max_tokens = 256;
  int top_logprobs = -1;     // -1: no log-probabilities
  int prompt_logprobs = -1;  // >= 0: score the prompt too (legacy echo with logprobs)
  // Each choice's constraint (null: free text); called once per choice.
  std::function<std::shared_ptr<TokenConstraint>()> constraint;
  std::size_t first_index = 0;  // the channel slot of choice 0 (several prompts share one)
};

// Queues every choice; a full queue is a 429 ApiError (choices already queued are cancelled).
void submit_choices(const ServedModel& model, const GenerationParams& params,
                    const ChoiceJobs& jobs, const std::shared_ptr<GenerationChannel>& channel);

}  // namespace chosei
