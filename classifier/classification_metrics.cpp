#include "classifier/classification_metrics.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <stdexcept>

namespace chosei {

double auroc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0, pos = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // average
    for (std::size_t k = i; k < j; ++k)
      if (positive[order[k]]) rank_sum += rank, pos += 1;
    i = j;
  }
  const double neg = static_cast<double>(n) - pos;
  if (pos == 0 || neg == 0) return std::nan("");
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double threshold_for_fpr(std::vector<double> negatives, double target_fpr) {
  if (target_fpr < 0 || target_fpr > 1)
    throw std::invalid_argument("target_fpr must be from 0 to 1, got " +
                                std::to_string(target_fpr));
  if (negatives.empty()) return 0.5;
  std::sort(negatives.begin(), negatives.end(), std::greater<double>());
  const auto allowed = static_cast<std::size_t>(
      std::floor(target_fpr * static_cast<double>(negatives.size()) + 1e-9));
  if (allowed >= negatives.size()) return 0.0;
  // Above the (allowed+1)-th highest negative, so it and every lower one fall below, by a
  // margin far larger than the float noise between batched and packed forwards (duplicate
  // texts score the same up to ~1e-7; a threshold at the score itself would split them).
  return std::min(1.0, negatives[allowed] + kThresholdMargin);
}

CategoryMetrics category_metrics(const std::string& label, const std::vector<double>& scores,
                                 const std::vector<bool>& positive, double threshold) {
  CategoryMetrics m;
  m.label = label;
  m.threshold = threshold;
  double tp = 0, fp = 0, fn = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] >= threshold;
    if (positive[i]) {
      ++m.positives;
      (predicted ? tp : fn) += 1;
    } else {
      ++m.negatives;
      if (predicted) fp += 1;
    }
  }
  m.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  m.recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
  m.false_positive_rate = m.negatives ? fp / static_cast<double>(m.negatives) : 0;
  m.auroc = auroc(scores, positive);
  return m;
}

}  // namespace chosei
