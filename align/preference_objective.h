#pragma once
// The offline preference objectives by name, as `chosei align --set method=...` selects
// them: dpo, cdpo, robust, ipo, hinge (with a reference), simpo, orpo (without), each in its
// own file. An optional NLL term on the chosen answer (sft_weight; the per-answer token mean)
// counters the known DPO failure in which the chosen answer's probability falls too
// (trl#800, trl#1868).

#include <string>

#include "align/pair_logps.h"

namespace chosei {

enum class PreferenceMethod { kDpo, kCdpo, kRobust, kIpo, kHinge, kSimpo, kOrpo };

// Throws std::invalid_argument listing the names.
PreferenceMethod parse_preference_method(const std::string& name);
std::string to_string(PreferenceMethod m);
bool needs_reference(PreferenceMethod m);

struct PreferenceObjective {
  PreferenceMethod method = PreferenceMethod::kDpo;
  double beta = 0.1;
  double label_smoothing = 0;  // cdpo and robust: the assumed rate of flipped labels
  double gamma = 0.5;          // simpo: the target reward margin
  double sft_weight = 0;       // weight of the chosen answer's NLL (token mean)
};

// Per-pair NLL of the chosen side: over its answer tokens (sft_weight), and over the whole
// sequence, prompt included (ORPO's term, as TRL computes it).
struct ChosenNll {
  torch::Tensor answer, sequence;  // (N), differentiable
};

struct ObjectiveTerms {
  PairLoss pair;
  torch::Tensor losses;  // (N): the method's loss plus sft_weight * NLL
  torch::Tensor nll;     // (N) detached: the NLL the method reports (nll_loss)
};

ObjectiveTerms preference_objective(const PreferenceObjective& o, const PairLogps& p,
                                    const ChosenNll& nll);

}  // namespace chosei
