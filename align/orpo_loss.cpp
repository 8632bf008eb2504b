#include "align/orpo_loss.h"

#include <cmath>

namespace chosei {

torch::Tensor log1mexp(const torch::Tensor& x) {
  // Near 0, 1 − e^x loses its digits: use log(−expm1(x)); far below, log1p(−e^x).
  const auto x_safe = torch::clamp_max(x, -1e-12);
  return torch::where(x_safe > -M_LN2, torch::log(-torch::expm1(x_safe)),
                      torch::log1p(-torch::exp(x_safe)));
}

PairLoss orpo_loss(const PairLogps& p, const torch::Tensor& chosen_nll, double beta) {
  const auto c = p.chosen_avg().to(torch::kFloat32), r = p.rejected_avg().to(torch::kFloat32);
  const auto log_odds = (c - r) - (log1mexp(c) - log1mexp(r));
  PairLoss out;
  out.losses = chosen_nll - beta * torch::log_sigmoid(log_odds);
  out.chosen_rewards = (beta * c).detach();
  out.rejected_rewards = (beta * r).detach();
  out.log_odds = log_odds.detach();
  return out;
}

}  // namespace chosei
