#include "align/ipo_loss.h"

namespace chosei {

PairLoss ipo_loss(const PairLogps& p, double beta) {
  const auto chosen = p.chosen_avg() - PairLogps::averaged(p.ref_chosen, p.chosen_tokens);
  const auto rejected = p.rejected_avg() - PairLogps::averaged(p.ref_rejected, p.rejected_tokens);
  PairLoss out;
  out.losses = (chosen - rejected - 1.0 / (2.0 * beta)).pow(2);
  out.chosen_rewards = (beta * chosen).detach();
  out.rejected_rewards = (beta * rejected).detach();
  return out;
}

}  // namespace chosei
