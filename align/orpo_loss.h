#pragma once
// ORPO (Hong et al. 2024, arXiv 2403.07691, Eqs. 4 and 7), as TRL's ORPOTrainer computes it:
//   loss = NLL_chosen − β log σ(log_odds),
//   log_odds = (l_c − l_r) − (log(1 − e^{l_c}) − log(1 − e^{l_r})),  l = length-averaged log p,
// in fp32, with log(1 − e^x) computed stably (log1mexp: Mächler 2012). The NLL term is the
// chosen sequence's token mean over prompt AND answer, on purpose in TRL (#1516, #2527); here
// it is passed in per pair. Rewards: β · l of each answer; log_odds is logged as TRL does.

#include "align/pair_logps.h"

namespace chosei {

// log(1 − exp(x)) for x < 0.
torch::Tensor log1mexp(const torch::Tensor& x);

PairLoss orpo_loss(const PairLogps& p, const torch::Tensor& chosen_nll, double beta);

}  // namespace chosei
