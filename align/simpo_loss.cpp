#include "align/simpo_loss.h"

namespace chosei {

PairLoss simpo_loss(const PairLogps& p, double beta, double gamma) {
  const auto c = p.chosen_avg(), r = p.rejected_avg();
  PairLoss out;
  out.losses = -torch::log_sigmoid(beta * (c - r) - gamma);
  out.chosen_rewards = (beta * c).detach();
  out.rejected_rewards = (beta * r).detach();
  return out;
}

}  // namespace chosei
