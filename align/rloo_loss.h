#pragma once
// RLOO (Ahmadian et al. 2024, "Back to Basics", arXiv 2402.14740, Eq. 7 and sec. 3.2), as
// TRL's RLOOTrainer computes it:
//   reward     r_i − β Σ_t (logπ_old − logref)       (k1 KL in the reward, per completion)
//   advantage  A_i = r_i − (Σ_group r − r_i) / (k − 1)   (the leave-one-out baseline)
//   loss       −min(ρ A, clip(ρ, 1 − ε_low, 1 + ε_high) A),  ρ = exp(Σ_t logπ − Σ_t logπ_old)
//              (one ratio per completion: RLOO treats the whole completion as one action)
// averaged over completions (the loss returns the sum; the loop divides by the completions
// of the whole step). OpenRLHF instead subtracts the baseline first and adds a per-token
// KL reward after it (OpenRLHF PR #515); we take TRL's order: the KL is part of the reward
// the baseline is computed from.

#include <cstdint>

#include "align/completion_tokens.h"

namespace chosei {

// rewards, kl: (P·k) in groups of k consecutive completions of one prompt; kl is the
// per-completion Σ_t (logπ_old − logref).
torch::Tensor rloo_advantages(const torch::Tensor& rewards, const torch::Tensor& kl, double beta,
                              std::int64_t group_size);

struct RlooLoss {
  torch::Tensor sum;      // over completions
  torch::Tensor ratio;    // (S) detached
  torch::Tensor clipped;  // (S) bool: the clip bound was the active term
};

RlooLoss rloo_loss(const CompletionTokens& t, const torch::Tensor& advantages, double epsilon_low,
                   double epsilon_high);

}  // namespace chosei
