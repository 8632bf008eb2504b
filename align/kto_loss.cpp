#include "align/kto_loss.h"

#include <sstream>

namespace chosei {

KtoLoss kto_loss(const KtoInputs& in, double beta, double desirable_weight,
                 double undesirable_weight) {
  KtoLoss out;
  out.kl = (in.kl_policy - in.kl_reference).mean().clamp_min(0).detach();
  const auto r = in.policy - in.reference;
  const auto good = desirable_weight * (1 - torch::sigmoid(beta * (r - out.kl)));
  const auto bad = undesirable_weight * (1 - torch::sigmoid(beta * (out.kl - r)));
  out.losses = torch::where(in.desirable, good, bad);
  out.rewards = (beta * r).detach();
  return out;
}

std::string kto_weight_warning(std::size_t desirable, std::size_t undesirable,
                               double desirable_weight, double undesirable_weight) {
  if (desirable == 0 || undesirable == 0) return "";
  const double ratio = desirable_weight * static_cast<double>(desirable) /
                       (undesirable_weight * static_cast<double>(undesirable));
  if (ratio >= 1.0 && ratio <= 4.0 / 3.0) return "";
  std::ostringstream o;
  o << "desirable_weight * desirable / (undesirable_weight * undesirable) = " << ratio << " ("
    << desirable << " desirable, " << undesirable
    << " undesirable); the KTO paper advises 1 to 4/3: adjust desirable_weight or "
       "undesirable_weight";
  return o.str();
}

}  // namespace chosei
