#pragma once
// DPO (Rafailov et al. 2023, arXiv 2305.18290, Eq. 7) and conservative DPO with label
// smoothing ε (Mitchell 2023, "A note on DPO with noisy preferences", Eq. 3; TRL's
// "sigmoid" loss with label_smoothing, OpenRLHF and torchtune DPOLoss):
//   loss = −(1 − ε) log σ(βΔ) − ε log σ(−βΔ),   Δ over summed log-probs.
// Rewards: β(logπ − logref) of each answer. At the start (policy = reference) the loss is
// ln 2 and every reward 0.

#include "align/pair_logps.h"

namespace chosei {

PairLoss dpo_loss(const PairLogps& p, double beta, double label_smoothing);

}  // namespace chosei
