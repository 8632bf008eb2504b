#pragma once
// What every pairwise preference loss reads: for N pairs, the policy's and the reference's
// log-probabilities of the chosen and the rejected answer, summed over answer tokens, and
// the answer lengths (for the length-averaged variants). Reference-free losses (SimPO,
// ORPO) leave the reference undefined. Notation as in ../shared/reference/
// preference_learning.md: Δ = (logπ_c − logref_c) − (logπ_r − logref_r).

#include <torch/torch.h>

namespace chosei {

struct PairLogps {
  torch::Tensor chosen, rejected;                // (N) policy sums, differentiable
  torch::Tensor chosen_tokens, rejected_tokens;  // (N) answer tokens (float)
  torch::Tensor ref_chosen, ref_rejected;        // (N) reference sums, constant

  torch::Tensor delta() const { return (chosen - ref_chosen) - (rejected - ref_rejected); }
  // Sums divided by the token count, clamped to >= 1 (an empty answer gives 0, not NaN).
  static torch::Tensor averaged(const torch::Tensor& sum, const torch::Tensor& tokens) {
    return sum / tokens.clamp_min(1);
  }
  torch::Tensor chosen_avg() const { return averaged(chosen, chosen_tokens); }
  torch::Tensor rejected_avg() const { return averaged(rejected, rejected_tokens); }
};

// A loss per pair and the implicit rewards TRL logs as rewards/chosen and rewards/rejected.
struct PairLoss {
  torch::Tensor losses;                            // (N), differentiable
  torch::Tensor chosen_rewards, rejected_rewards;  // (N), detached
  torch::Tensor log_odds;                          // (N), ORPO only (detached)
};

}  // namespace chosei
