#include "train/evaluation_means.h"

namespace chosei {

std::map<std::string, double> evaluation_means(TrainingTask& task, const TrainingBatches& batches,
                                               double units) {
  torch::NoGradGuard no_grad;
  task.set_training(false);
  std::map<std::string, double> sums;
  double loss = 0;
  for (const auto& b : batches) {
    auto l = task.loss(*b);
    loss += l.sum.item<double>();
    for (const auto& [k, v] : l.metric_sums) sums[k] += v;
  }
  task.set_training(true);
  std::map<std::string, double> out{{"loss", loss / units}};
  for (const auto& [k, v] : sums) {
    if (k.rfind(kMetricUnits, 0) == 0) continue;
    const auto own = sums.find(kMetricUnits + k);
    if (own == sums.end())
      out[k] = v / units;
    else if (own->second > 0)
      out[k] = v / own->second;
  }
  return out;
}

}  // namespace chosei
