#include "align/robust_dpo_loss.h"

#include <stdexcept>
#include <string>

namespace chosei {

PairLoss robust_dpo_loss(const PairLogps& p, double beta, double eps) {
  if (eps < 0 || eps >= 0.5)
    throw std::invalid_argument("robust DPO needs label_smoothing in [0, 0.5), got " +
                                std::to_string(eps));
  const auto z = beta * p.delta();
  PairLoss out;
  out.losses = (-(1 - eps) * torch::log_sigmoid(z) + eps * torch::log_sigmoid(-z)) / (1 - 2 * eps);
  out.chosen_rewards = (beta * (p.chosen - p.ref_chosen)).detach();
  out.rejected_rewards = (beta * (p.rejected - p.ref_rejected)).detach();
  return out;
}

}  // namespace chosei
