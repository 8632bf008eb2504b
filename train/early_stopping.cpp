#include "train/early_stopping.h"

namespace chosei {

bool EarlyStopping::observe(std::int64_t step, double loss) {
  if (!seen_) {
    seen_ = true, first_ = best_ = loss, best_step_ = step, without_improvement_ = 0;
    return true;
  }
  if (loss < best_ - min_delta_) {
    best_ = loss, best_step_ = step, without_improvement_ = 0;
    return true;
  }
  ++without_improvement_;
  return false;
}

nlohmann::json EarlyStopping::state() const {
  return {{"evaluated", seen_},
          {"first_eval_loss", first_},
          {"best_eval_loss", best_},
          {"best_step", best_step_},
          {"evals_without_improvement", without_improvement_}};
}

void EarlyStopping::restore(const nlohmann::json& s) {
  seen_ = s.value("evaluated", s.contains("best_eval_loss"));
  first_ = s.value("first_eval_loss", 0.0);
  best_ = s.value("best_eval_loss", 0.0);
  best_step_ = s.value("best_step", std::int64_t{0});
  without_improvement_ = s.value("evals_without_improvement", std::int64_t{0});
}

}  // namespace chosei
