#pragma once
// Learning-rate schedules with linear warmup: constant, linear decay to zero, and cosine
// decay to min_lr_ratio * peak (Loshchilov & Hutter 2016, SGDR, arXiv 1608.03983, eq. 5,
// without restarts).

#include <cstdint>
#include <string>

namespace chosei {

struct LrSchedule {
  std::string kind = "cosine";  // constant | linear | cosine
  double peak = 1e-4;
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 1;
  double min_lr_ratio = 0.1;

  // The learning rate for optimizer step `step` (0-based).
  double at(std::int64_t step) const;
  // Throws std::invalid_argument on an unknown kind or non-positive total.
  void validate() const;
};

}  // namespace chosei
