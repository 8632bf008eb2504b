#pragma once
// The pairwise loss of a reward model, summed over pairs (the training loop divides by the
// pairs of the whole accumulated batch):
//
//   loss_i = -log sigmoid(r_c - r_r - m_i) + eta * (r_c + r_r)^2
//
// Bradley-Terry preference likelihood as InstructGPT trains its reward model (Ouyang et
// al. 2022, arXiv 2203.02155, Eq. 1), with Llama 2's per-pair margin m_i (Touvron et al.
// 2023, arXiv 2307.09288, Eq. 2) and the centering term that keeps rewards near zero
// (Eisenstein et al. 2023, arXiv 2312.09244, Eq. 2: the squared SUM of the two rewards).

#include <torch/torch.h>

namespace chosei {

struct PairwiseLoss {
  torch::Tensor sum;      // scalar, differentiable
  double correct = 0;     // pairs with r_c > r_r
  double margin_sum = 0;  // sum of r_c - r_r
  double chosen_sum = 0, rejected_sum = 0;
};

// chosen, rejected, margin: (N) float32.
PairwiseLoss bradley_terry_loss(const torch::Tensor& chosen, const torch::Tensor& rejected,
                                const torch::Tensor& margin, double center_rewards);

}  // namespace chosei
