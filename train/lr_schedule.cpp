#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace chosei {

void LrSchedule::validate() const {
  if (kind != "constant" && kind != "linear" && kind != "cosine")
    throw std::invalid_argument("lr_schedule \"" + kind + "\" is not constant, linear or cosine");
  if (total_steps <= 0)
    throw std::invalid_argument("the run has no steps (max_steps or epochs too small)");
  if (!(peak > 0)) throw std::invalid_argument("learning_rate must be positive");
}

double LrSchedule::at(std::int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps)
    return peak * double(step + 1) / double(warmup_steps);
  if (kind == "constant") return peak;
  const double span = std::max<std::int64_t>(1, total_steps - warmup_steps);
  const double progress = std::clamp(double(step - warmup_steps) / span, 0.0, 1.0);
  if (kind == "linear") return peak * (1.0 - progress);
  const double min_lr = peak * min_lr_ratio;
  return min_lr + 0.5 * (peak - min_lr) * (1.0 + std::cos(M_PI * progress));
}

}  // namespace chosei
