#include "align/rloo_loss.h"

#include <stdexcept>
#include <string>

namespace chosei {

torch::Tensor rloo_advantages(const torch::Tensor& rewards, const torch::Tensor& kl, double beta,
                              std::int64_t group_size) {
  if (group_size < 2 || rewards.size(0) % group_size != 0)
    throw std::invalid_argument("RLOO needs groups of at least 2 completions, got " +
                                std::to_string(rewards.size(0)) + " rewards in groups of " +
                                std::to_string(group_size));
  const auto r = (rewards - beta * kl).view({-1, group_size});
  const auto baseline = (r.sum(1, true) - r) / double(group_size - 1);
  return (r - baseline).reshape({-1});
}

RlooLoss rloo_loss(const CompletionTokens& t, const torch::Tensor& advantages, double epsilon_low,
                   double epsilon_high) {
  const auto log_ratio = t.per_completion(t.logp - t.old_logp);
  const auto ratio = torch::exp(log_ratio);
  const auto clipped = torch::clamp(ratio, 1 - epsilon_low, 1 + epsilon_high);
  RlooLoss out;
  out.sum = (-torch::min(ratio * advantages, clipped * advantages)).sum();
  torch::NoGradGuard no_grad;
  out.ratio = ratio.detach();
  out.clipped = ratio.lt(1 - epsilon_low)
                    .logical_and(advantages.lt(0))
                    .logical_or(ratio.gt(1 + epsilon_high).logical_and(advantages.gt(0)));
  return out;
}

}  // namespace chosei
