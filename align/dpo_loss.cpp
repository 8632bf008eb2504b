#include "align/dpo_loss.h"

namespace chosei {

PairLoss dpo_loss(const PairLogps& p, double beta, double label_smoothing) {
  const auto z = beta * p.delta();
  PairLoss out;
  out.losses =
      -(1 - label_smoothing) * torch::log_sigmoid(z) - label_smoothing * torch::log_sigmoid(-z);
  out.chosen_rewards = (beta * (p.chosen - p.ref_chosen)).detach();
  out.rejected_rewards = (beta * (p.rejected - p.ref_rejected)).detach();
  return out;
}

}  // namespace chosei
