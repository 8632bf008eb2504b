#pragma once
// EarlyStopping: watches the evaluation loss and says when it stopped improving for
// `patience` evaluations (an improvement being a drop of more than `min_delta` below the
// best). Its state travels in checkpoints, so a resumed run stops where the uninterrupted
// one would.

#include <cstdint>
#include <nlohmann/json.hpp>

namespace chosei {

class EarlyStopping {
 public:
  EarlyStopping(std::int64_t patience, double min_delta)
      : patience_(patience), min_delta_(min_delta) {}

  // Records the loss of the evaluation at `step`; true when it is the best so far (the
  // first evaluation always is).
  bool observe(std::int64_t step, double loss);
  bool should_stop() const { return patience_ > 0 && without_improvement_ >= patience_; }
  bool enabled() const { return patience_ > 0; }

  double first_loss() const { return first_; }
  double best_loss() const { return best_; }
  std::int64_t best_step() const { return best_step_; }

  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  std::int64_t patience_;
  double min_delta_;
  bool seen_ = false;
  double first_ = 0, best_ = 0;
  std::int64_t best_step_ = 0, without_improvement_ = 0;
};

}  // namespace chosei
