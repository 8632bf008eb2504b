#pragma once
// GRPO (Shao et al. 2024, DeepSeekMath, arXiv 2402.03300, Eq. 21 with the outcome-
// supervised advantage of sec. 4.1.2), as TRL's GRPOTrainer computes it:
//   advantage  A_i = (r_i − mean_group) / (std_group + 1e-4)     (Bessel std)
//              scale_rewards: group (as written), batch (the std of the whole batch),
//              none (A = r − mean_group: Dr. GRPO, arXiv 2503.20783 sec. 3.1)
//   per token  −min(ρ A, clip(ρ, 1 − ε_low, 1 + ε_high) A) + β k3,   ρ = exp(logπ − logπ_old)
//              k3 = exp(ref − logπ) − (ref − logπ) − 1  (Schulman's estimator; Eq. 4)
// and the per-token losses aggregated (loss_aggregation):
//   grpo     mean over each completion's tokens, then mean over completions (Eq. 21)
//   bnpo     mean over the tokens of each micro-batch (TRL's bnpo: not invariant to how
//            the step is split into micro-batches, by definition)
//   dr_grpo  sum / (completions × max_completion_length)  (arXiv 2503.20783 Eq. 3)
//   dapo     sum / tokens of the whole accumulated batch (arXiv 2503.14476 Eq. 8; TRL's
//            default)
// The loss returns the numerator; aggregation_units says what the training loop divides it
// by (summed over every micro-batch of the step and every process), so every mode but bnpo
// gives the same update however the step is split.

#include <cstdint>
#include <string>

#include "align/completion_tokens.h"

namespace chosei {

enum class RewardScaling { kGroup, kBatch, kNone };
RewardScaling parse_reward_scaling(const std::string& name);  // group | batch | none

enum class LossAggregation { kGrpo, kBnpo, kDrGrpo, kDapo };
LossAggregation parse_loss_aggregation(const std::string& name);  // grpo | bnpo | dr_grpo | dapo
std::string to_string(LossAggregation a);

// rewards: (P·G) in groups of G consecutive completions of one prompt.
torch::Tensor grpo_advantages(const torch::Tensor& rewards, std::int64_t group_size,
                              RewardScaling scaling);
// The share of groups whose rewards are all equal: they give no gradient (trl#3857).
double zero_std_group_share(const torch::Tensor& rewards, std::int64_t group_size);

struct GrpoSettings {
  double epsilon_low = 0.2, epsilon_high = 0.2;
  double beta = 0.0;  // TRL's default: no KL term, no reference model
  LossAggregation aggregation = LossAggregation::kDapo;
  std::int64_t max_completion_length = 256;  // dr_grpo's constant
};

struct GrpoLoss {
  torch::Tensor sum;                        // the aggregate's numerator
  torch::Tensor kl;                         // (N) k3 per token, detached (undefined when β = 0)
  torch::Tensor clipped_low, clipped_high;  // (N) bool: the clip bound was the active term
};

// The units one micro-batch contributes to the normalizer.
std::int64_t aggregation_units(LossAggregation a, std::int64_t completions, std::int64_t tokens,
                               std::int64_t max_completion_length);

GrpoLoss grpo_loss(const CompletionTokens& t, const torch::Tensor& advantages,
                   const GrpoSettings& s);

}  // namespace chosei
