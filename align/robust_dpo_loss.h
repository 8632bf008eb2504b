#pragma once
// Robust DPO (Chowdhury et al. 2024, "Provably Robust DPO", arXiv 2403.00409, its rDPO
// loss; TRL's "robust"): an unbiased loss under preference flips with rate ε,
//   loss = [−(1 − ε) log σ(βΔ) + ε log σ(−βΔ)] / (1 − 2ε),   ε in [0, 0.5).
// Rewards as DPO's.

#include "align/pair_logps.h"

namespace chosei {

PairLoss robust_dpo_loss(const PairLogps& p, double beta, double label_smoothing);

}  // namespace chosei
