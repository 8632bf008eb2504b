#pragma once
// KTO (Ethayarajh et al. 2024, arXiv 2402.01306, Eqs. 7-8), as TRL's KTOTrainer computes it:
// for each completion with log-ratio r = logπ(y|x) − logref(y|x) (summed log-probs),
//   desirable:    λ_D (1 − σ(β(r − z)))        undesirable:  λ_U (1 − σ(β(z − r)))
// where the reference point z is the batch's KL estimate from mismatched pairs (each prompt
// with another example's completion): z = max(0, mean(logπ − logref)), detached, so no
// gradient flows through it. Rewards: β r. The paper suggests λ_D n_D / (λ_U n_U) in
// [1, 4/3] (kto_weight_warning).

#include <string>

#include <torch/torch.h>

namespace chosei {

struct KtoInputs {
  torch::Tensor policy, reference;        // (N) summed log-probs of the completions
  torch::Tensor desirable;                // (N) bool
  torch::Tensor kl_policy, kl_reference;  // (M) of the mismatched pairs
};

struct KtoLoss {
  torch::Tensor losses;   // (N), differentiable
  torch::Tensor rewards;  // (N) β r, detached
  torch::Tensor kl;       // scalar z, detached
};

KtoLoss kto_loss(const KtoInputs& in, double beta, double desirable_weight,
                 double undesirable_weight);

// A warning when λ_D n_D / (λ_U n_U) is outside [1, 4/3] (the paper's advice), else "".
std::string kto_weight_warning(std::size_t desirable, std::size_t undesirable,
                               double desirable_weight, double undesirable_weight);

}  // namespace chosei
