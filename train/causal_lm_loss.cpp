#include "train/causal_lm_loss.h"

namespace chosei {

LossSum causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  const auto V = logits.size(-1);
  auto flat_targets = targets.reshape({-1});
  auto sum = torch::nn::functional::cross_entropy(
      logits.reshape({-1, V}), flat_targets,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  return {sum, flat_targets.ne(-100).sum().item<std::int64_t>()};
}

}  // namespace chosei
