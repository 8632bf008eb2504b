#pragma once
// Hinge loss on the DPO log-ratio: SLiC-HF's calibration loss (Zhao et al. 2023,
// arXiv 2305.10425) on βΔ with margin 1, as RSO uses it (Liu et al. 2023, arXiv 2309.06657)
// and TRL computes it ("hinge"):
//   loss = max(0, 1 − βΔ).   Rewards as DPO's.

#include "align/pair_logps.h"

namespace chosei {

PairLoss hinge_loss(const PairLogps& p, double beta);

}  // namespace chosei
