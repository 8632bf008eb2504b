#pragma once
// SimPO (Meng et al. 2024, arXiv 2405.14734, Eq. 6): no reference model, the length-averaged
// log-probability as the implicit reward and a target margin γ:
//   loss = −log σ(β(avg_c − avg_r) − γ).
// TRL (CPOTrainer, loss_type "simpo") adds cpo_alpha · NLL(chosen) by default (#1703); here
// that term is the recipe's sft_weight, 0 unless asked for. The authors use β ≈ 2–2.5 and
// γ/β ≈ 0.55 (trl#1725). Rewards: β · avg of each answer.

#include "align/pair_logps.h"

namespace chosei {

PairLoss simpo_loss(const PairLogps& p, double beta, double gamma);

}  // namespace chosei
