#pragma once
// Per-category metrics of a classifier on labeled examples, and the threshold that holds a
// false-positive rate:
//   precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R) at a threshold;
//   AUROC = P(score of a positive > score of a negative) + 0.5 P(tie), the Mann-Whitney U
//   statistic over n+ n- (Hanley & McNeil 1982, Radiology 143:29, Eq. 2), with average
//   ranks for ties;
//   threshold for a target FPR: the smallest t at which at most floor(fpr * n-) negatives
//   score >= t (Neyman-Pearson operating point chosen on held-out data).

#include <cstddef>
#include <string>
#include <vector>

namespace chosei {

struct CategoryMetrics {
  std::string label;
  std::size_t positives = 0, negatives = 0;
  double threshold = 0.5;
  double precision = 0, recall = 0, f1 = 0, false_positive_rate = 0, auroc = 0;
};

double auroc(const std::vector<double>& scores, const std::vector<bool>& positive);

// How far above the highest tolerated negative a chosen threshold sits.
constexpr double kThresholdMargin = 1e-5;

// The threshold for `target_fpr` over the negatives' scores; 0.5 without negatives.
double threshold_for_fpr(std::vector<double> negative_scores, double target_fpr);

CategoryMetrics category_metrics(const std::string& label, const std::vector<double>& scores,
                                 const std::vector<bool>& positive, double threshold);

}  // namespace chosei
