#pragma once
// `chosei align --set method=rloo|grpo ...`: online alignment. The policy (the `model`
// key, trained whole or through lora.*) answers the `prompts` file (raw text records or
// message lists), k (RLOO, default 2) or G (GRPO, default 8) completions per prompt
// sampled at `temperature`/`top_p` with up to `max_new_tokens`; each completion is rewarded
// by the reward model (`reward_model`, optional), the output filters of `packs` with
// safety_penalty / redact_penalty / flag_penalty, and the rule terms (length_penalty,
// must_match, must_not_match, rule_penalty) (align/completion_rewards.h); the policy then
// takes one step of RLOO or GRPO (align/online_rl_task.h) with beta, epsilon
// (epsilon_high), loss_aggregation and scale_rewards. `eval` names held-out prompts,
// answered once each at every evaluation ("loss" is the negated mean reward).
// `batch_size` counts completions per micro-batch (as TRL); batch_size × grad_accum ×
// processes must hold whole groups.

#include "train/run_config.h"

namespace chosei {

bool is_online_method(const std::string& method);

// Returns the best evaluation loss (NaN without eval prompts).
double run_online_align(RunConfig& cfg);

}  // namespace chosei
