#include "reward/bradley_terry_loss.h"

namespace chosei {

PairwiseLoss bradley_terry_loss(const torch::Tensor& chosen, const torch::Tensor& rejected,
                                const torch::Tensor& margin, double center_rewards) {
  PairwiseLoss out;
  auto diff = chosen - rejected;
  // -log sigmoid(x) computed as log_sigmoid for stability at large |x|.
  auto per_pair = -torch::log_sigmoid(diff - margin);
  if (center_rewards != 0) per_pair = per_pair + center_rewards * (chosen + rejected).pow(2);
  out.sum = per_pair.sum();
  torch::NoGradGuard no_grad;
  out.correct = diff.gt(0).sum().item<double>();
  out.margin_sum = diff.sum().item<double>();
  out.chosen_sum = chosen.sum().item<double>();
  out.rejected_sum = rejected.sum().item<double>();
  return out;
}

}  // namespace chosei
