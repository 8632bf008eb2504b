#include "reward/preference_metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace chosei {

std::pair<double, double> wilson_interval(std::int64_t correct, std::int64_t n, double z) {
  if (n <= 0) return {0, 1};
  const double N = static_cast<double>(n), p = static_cast<double>(correct) / N;
  const double denom = 1 + z * z / N;
  const double center = (p + z * z / (2 * N)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / N + z * z / (4 * N * N)) / denom;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

double expected_calibration_error(const std::vector<double>& margins, int bins,
                                  std::vector<CalibrationBin>* out) {
  if (bins <= 0) throw std::invalid_argument("expected_calibration_error: bins must be positive");
  std::vector<CalibrationBin> b(static_cast<std::size_t>(bins));
  for (int i = 0; i < bins; ++i) b[i].lo = double(i) / bins, b[i].hi = double(i + 1) / bins;
  auto add = [&](double p, bool came_true) {
    auto k = std::min(bins - 1, static_cast<int>(p * bins));
    b[k].count += 1, b[k].confidence += p, b[k].accuracy += came_true ? 1 : 0;
  };
  for (double d : margins) {
    const double p = 1 / (1 + std::exp(-d));
    // People preferred the chosen answer: "chosen wins" came true, "rejected wins" did not.
    add(p, true);
    add(1 - p, false);
  }
  double ece = 0, total = 2.0 * static_cast<double>(margins.size());
  for (auto& bin : b) {
    if (bin.count == 0) continue;
    bin.confidence /= static_cast<double>(bin.count);
    bin.accuracy /= static_cast<double>(bin.count);
    ece += static_cast<double>(bin.count) / total * std::abs(bin.accuracy - bin.confidence);
  }
  if (out) *out = b;
  return margins.empty() ? 0 : ece;
}

double length_baseline_accuracy(const std::vector<std::size_t>& chosen,
                                const std::vector<std::size_t>& rejected, bool shorter) {
  if (chosen.size() != rejected.size())
    throw std::invalid_argument("length_baseline_accuracy: lengths of different sizes");
  if (chosen.empty()) return 0;
  double right = 0;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    if (chosen[i] == rejected[i])
      right += 0.5;
    else if ((chosen[i] < rejected[i]) == shorter)
      right += 1;
  }
  return right / static_cast<double>(chosen.size());
}

}  // namespace chosei
