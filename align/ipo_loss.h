#pragma once
// IPO (Azar et al. 2023, arXiv 2310.12036, Eq. 17), on length-averaged log-probs as TRL
// computes it (OpenRLHF sums: trl#1265, torchtune#1291; we follow TRL):
//   loss = (Δ_avg − 1/(2β))²,  Δ_avg = (avg_c − ref_avg_c) − (avg_r − ref_avg_r).
// Rewards: β times the averaged log-ratio of each answer.

#include "align/pair_logps.h"

namespace chosei {

PairLoss ipo_loss(const PairLogps& p, double beta);

}  // namespace chosei
