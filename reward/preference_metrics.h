#pragma once
// Statistics of a reward model on preference pairs, from the margins d_i = r_c - r_r.
//
// - accuracy with the Wilson score interval (Wilson 1927, "Probable inference, the law of
//   succession, and statistical inference", JASA 22(158):209-212):
//   (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), which stays inside [0, 1]
//   and is right for accuracies near 1 where the normal interval is not;
// - expected calibration error (Guo et al. 2017, arXiv 1706.04599, Eq. 3) of
//   p_i = sigmoid(d_i), the model's probability that the chosen answer wins. Every pair is
//   counted in both orders, (p_i, came true) and (1 - p_i, did not), so the reliability
//   diagram over [0, 1] is symmetric and the ECE equals that of max(p, 1 - p) against
//   whether the model's pick was right.
// - the length baselines: "the shorter answer wins" and "the longer answer wins" (ties
//   count half), the bar a reward model must clear to have learned more than length.

#include <cstdint>
#include <utility>
#include <vector>

namespace chosei {

struct CalibrationBin {
  double lo = 0, hi = 0;
  std::int64_t count = 0;
  double confidence = 0;  // mean predicted probability in the bin
  double accuracy = 0;    // share of those predictions that came true
};

// (lower, upper) of the 95% interval (z = 1.96) for `correct` successes out of `n`.
std::pair<double, double> wilson_interval(std::int64_t correct, std::int64_t n, double z = 1.96);

// ECE over `bins` equal-width bins; the bins are returned in `out` when given.
double expected_calibration_error(const std::vector<double>& margins, int bins,
                                  std::vector<CalibrationBin>* out = nullptr);

// Share of pairs the rule gets right: shorter (or longer) chosen answer, ties half.
double length_baseline_accuracy(const std::vector<std::size_t>& chosen_lengths,
                                const std::vector<std::size_t>& rejected_lengths, bool shorter);

}  // namespace chosei
