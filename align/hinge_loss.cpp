#include "align/hinge_loss.h"

namespace chosei {

PairLoss hinge_loss(const PairLogps& p, double beta) {
  PairLoss out;
  out.losses = torch::relu(1 - beta * p.delta());
  out.chosen_rewards = (beta * (p.chosen - p.ref_chosen)).detach();
  out.rejected_rewards = (beta * (p.rejected - p.ref_rejected)).detach();
  return out;
}

}  // namespace chosei
