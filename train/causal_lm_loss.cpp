#include "train/causal_lm_loss.h"

namespace chosei {

LossSum causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  const auto V = logits.size(-1);
  auto flat_targets = targets.reshape({-1});
  auto sum = torch::nn::functional::cross_entropy(
      logits.reshape({-1, V}), flat_targets,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  const auto kept = flat_targets.ne(-100);
  std::int64_t correct = 0;
  {
    torch::NoGradGuard no_grad;
    const auto predicted = logits.reshape({-1, V}).argmax(-1);
    correct = predicted.eq(flat_targets).logical_and(kept).sum().item<std::int64_t>();
  }
  return {sum, kept.sum().item<std::int64_t>(), correct};
}

}  // namespace chosei
