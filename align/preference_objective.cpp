#include "align/preference_objective.h"

#include <stdexcept>

#include "align/dpo_loss.h"
#include "align/hinge_loss.h"
#include "align/ipo_loss.h"
#include "align/orpo_loss.h"
#include "align/robust_dpo_loss.h"
#include "align/simpo_loss.h"

namespace chosei {

namespace {

const std::pair<const char*, PreferenceMethod> kMethods[] = {
    {"dpo", PreferenceMethod::kDpo},       {"cdpo", PreferenceMethod::kCdpo},
    {"robust", PreferenceMethod::kRobust}, {"ipo", PreferenceMethod::kIpo},
    {"hinge", PreferenceMethod::kHinge},   {"simpo", PreferenceMethod::kSimpo},
    {"orpo", PreferenceMethod::kOrpo}};

}  // namespace

PreferenceMethod parse_preference_method(const std::string& name) {
  for (const auto& [n, m] : kMethods)
    if (name == n) return m;
  throw std::invalid_argument("method \"" + name +
                              "\" is not one of dpo, cdpo, robust, ipo, hinge, simpo, orpo, kto");
}

std::string to_string(PreferenceMethod m) {
  for (const auto& [n, x] : kMethods)
    if (x == m) return n;
  return "";
}

bool needs_reference(PreferenceMethod m) {
  return m != PreferenceMethod::kSimpo && m != PreferenceMethod::kOrpo;
}

ObjectiveTerms preference_objective(const PreferenceObjective& o, const PairLogps& p,
                                    const ChosenNll& nll) {
  ObjectiveTerms t;
  switch (o.method) {
    case PreferenceMethod::kDpo:
    case PreferenceMethod::kCdpo:
      t.pair = dpo_loss(p, o.beta, o.label_smoothing);
      break;
    case PreferenceMethod::kRobust:
      t.pair = robust_dpo_loss(p, o.beta, o.label_smoothing);
      break;
    case PreferenceMethod::kIpo:
      t.pair = ipo_loss(p, o.beta);
      break;
    case PreferenceMethod::kHinge:
      t.pair = hinge_loss(p, o.beta);
      break;
    case PreferenceMethod::kSimpo:
      t.pair = simpo_loss(p, o.beta, o.gamma);
      break;
    case PreferenceMethod::kOrpo:
      t.pair = orpo_loss(p, nll.sequence, o.beta);
      break;
  }
  t.losses = t.pair.losses;
  if (o.sft_weight != 0) t.losses = t.losses + o.sft_weight * nll.answer;
  t.nll = (o.method == PreferenceMethod::kOrpo ? nll.sequence : nll.answer).detach();
  return t;
}

}  // namespace chosei
