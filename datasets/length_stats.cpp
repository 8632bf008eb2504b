#include "datasets/length_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace chosei {

double quantile(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return static_cast<double>(sorted[lo]) +
         (pos - static_cast<double>(lo)) * static_cast<double>(sorted[hi] - sorted[lo]);
}

Distribution summarize(std::vector<std::int64_t> v) {
  Distribution d;
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  d.count = static_cast<std::int64_t>(v.size());
  d.min = static_cast<double>(v.front());
  d.max = static_cast<double>(v.back());
  d.sum = static_cast<double>(std::accumulate(v.begin(), v.end(), std::int64_t{0}));
  d.mean = d.sum / static_cast<double>(v.size());
  d.median = quantile(v, 0.5);
  d.p10 = quantile(v, 0.1);
  d.p90 = quantile(v, 0.9);
  return d;
}

std::string text_histogram(const std::vector<std::int64_t>& values, int bins, int width) {
  if (values.empty()) return "(no data)\n";
  const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  const double lo = static_cast<double>(*mn), hi = static_cast<double>(*mx) + 1;
  const double step = std::max(1.0, std::ceil((hi - lo) / bins));
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
  for (auto v : values) {
    auto b = static_cast<std::size_t>((static_cast<double>(v) - lo) / step);
    counts[std::min(b, counts.size() - 1)]++;
  }
  const auto peak = *std::max_element(counts.begin(), counts.end());
  std::string out;
  char buf[128];
  for (int b = 0; b < bins; ++b) {
    const double a = lo + b * step;
    if (a >= hi) break;
    const int bar =
        peak ? static_cast<int>(std::lround(double(counts[b]) * width / double(peak))) : 0;
    std::snprintf(buf, sizeof buf, "[%7.0f, %7.0f) %7lld ", a, a + step,
                  static_cast<long long>(counts[b]));
    out += buf + std::string(static_cast<std::size_t>(bar), '#') + "\n";
  }
  return out;
}

}  // namespace chosei
