#include "align/grpo_loss.h"

#include <stdexcept>

namespace chosei {

RewardScaling parse_reward_scaling(const std::string& name) {
  if (name == "group") return RewardScaling::kGroup;
  if (name == "batch") return RewardScaling::kBatch;
  if (name == "none") return RewardScaling::kNone;
  throw std::invalid_argument("scale_rewards must be group, batch or none, not \"" + name + "\"");
}

LossAggregation parse_loss_aggregation(const std::string& name) {
  if (name == "grpo") return LossAggregation::kGrpo;
  if (name == "bnpo") return LossAggregation::kBnpo;
  if (name == "dr_grpo") return LossAggregation::kDrGrpo;
  if (name == "dapo") return LossAggregation::kDapo;
  throw std::invalid_argument("loss_aggregation must be grpo, bnpo, dr_grpo or dapo, not \"" +
                              name + "\"");
}

std::string to_string(LossAggregation a) {
  switch (a) {
    case LossAggregation::kGrpo:
      return "grpo";
    case LossAggregation::kBnpo:
      return "bnpo";
    case LossAggregation::kDrGrpo:
      return "dr_grpo";
    case LossAggregation::kDapo:
      return "dapo";
  }
  return "?";
}

namespace {

torch::Tensor grouped(const torch::Tensor& rewards, std::int64_t group_size) {
  if (group_size < 2 || rewards.size(0) % group_size != 0)
    throw std::invalid_argument("GRPO needs groups of at least 2 completions, got " +
                                std::to_string(rewards.size(0)) + " rewards in groups of " +
                                std::to_string(group_size));
  return rewards.view({-1, group_size});
}

}  // namespace

torch::Tensor grpo_advantages(const torch::Tensor& rewards, std::int64_t group_size,
                              RewardScaling scaling) {
  const auto g = grouped(rewards, group_size);
  auto centered = (g - g.mean(1, true)).reshape({-1});
  if (scaling == RewardScaling::kNone) return centered;
  auto std = scaling == RewardScaling::kGroup
                 ? g.std(1, /*unbiased=*/true, true).expand_as(g).reshape({-1})
                 : rewards.std(/*unbiased=*/true).expand_as(rewards);
  return centered / (std + 1e-4);
}

double zero_std_group_share(const torch::Tensor& rewards, std::int64_t group_size) {
  const auto g = grouped(rewards, group_size);
  const auto flat = (g.amax(1) - g.amin(1)).abs().le(1e-8);
  return flat.to(torch::kFloat64).mean().item<double>();
}

std::int64_t aggregation_units(LossAggregation a, std::int64_t completions, std::int64_t tokens,
                               std::int64_t max_completion_length) {
  switch (a) {
    case LossAggregation::kGrpo:
      return completions;
    case LossAggregation::kBnpo:
      return 1;
    case LossAggregation::kDrGrpo:
      return completions * max_completion_length;
    case LossAggregation::kDapo:
      return tokens;
  }
  return tokens;
}

GrpoLoss grpo_loss(const CompletionTokens& t, const torch::Tensor& advantages,
                   const GrpoSettings& s) {
  const auto a = advantages.index_select(0, t.owner);
  const auto ratio = torch::exp(t.logp - t.old_logp);
  const auto clipped = torch::clamp(ratio, 1 - s.epsilon_low, 1 + s.epsilon_high);
  auto per_token = -torch::min(ratio * a, clipped * a);
  GrpoLoss out;
  if (s.beta != 0) {
    const auto d = t.ref_logp - t.logp;
    const auto k3 = torch::exp(d) - d - 1;
    per_token = per_token + s.beta * k3;
    out.kl = k3.detach();
  }
  {
    torch::NoGradGuard no_grad;
    out.clipped_low = ratio.lt(1 - s.epsilon_low).logical_and(a.lt(0));
    out.clipped_high = ratio.gt(1 + s.epsilon_high).logical_and(a.gt(0));
  }
  switch (s.aggregation) {
    case LossAggregation::kGrpo:
      out.sum = (t.per_completion(per_token) / t.lengths().clamp_min(1)).sum();
      break;
    case LossAggregation::kBnpo:
      out.sum = per_token.sum() / std::max<double>(1.0, double(per_token.size(0)));
      break;
    case LossAggregation::kDrGrpo:
    case LossAggregation::kDapo:
      out.sum = per_token.sum();
      break;
  }
  return out;
}

}  // namespace chosei
