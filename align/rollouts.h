#pragma once
// Rollouts: the completions online alignment learns from, sampled from the policy as it is
// now through the batched generation loop (eval/prompt_answers.h). Each completion has its
// own sampling seed drawn from (run seed, epoch, prompt, generation index) alone, so the
// same step samples the same completions in one process or several, and after a resume.

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/preference_example.h"
#include "datasets/prompt_reader.h"
#include "eval/prompt_answers.h"

namespace chosei {

// One completion to sample: the `generation`-th of prompt `prompt` in epoch `epoch`.
struct RolloutSlot {
  std::size_t prompt = 0;
  std::int64_t generation = 0, epoch = 0;
};

struct RolloutSampling {
  double temperature = 1.0, top_p = 1.0;
  std::int64_t max_new_tokens = 256, max_batch = 8;
  std::uint64_t seed = 0;
};

struct Rollout {
  PromptAnswerIds sequence;  // prompt ids + completion ids (ending token included)
  std::string text;          // the completion as text
  bool truncated = false;    // cut at max_new_tokens
  std::int64_t completion_tokens() const {
    return static_cast<std::int64_t>(sequence.answer_tokens());
  }
};

std::uint64_t rollout_seed(std::uint64_t seed, const RolloutSlot& slot);

std::vector<Rollout> generate_rollouts(const AnsweringModel& policy,
                                       const std::vector<PromptRecord>& prompts,
                                       const std::vector<RolloutSlot>& slots,
                                       const RolloutSampling& sampling);

}  // namespace chosei
