#pragma once
// Distribution summaries for dataset reports: min/max, mean/median, percentiles (linear
// interpolation, as numpy.quantile's default), and a text histogram.

#include <cstdint>
#include <string>
#include <vector>

namespace chosei {

struct Distribution {
  std::int64_t count = 0;
  double min = 0, max = 0, mean = 0, median = 0, p10 = 0, p90 = 0, sum = 0;
};

Distribution summarize(std::vector<std::int64_t> values);
// numpy.quantile(values, q) with linear interpolation; `sorted` must be ascending.
double quantile(const std::vector<std::int64_t>& sorted, double q);
// A histogram of `bins` rows: "[lo, hi)  count  ####".
std::string text_histogram(const std::vector<std::int64_t>& values, int bins = 10, int width = 40);

}  // namespace chosei
