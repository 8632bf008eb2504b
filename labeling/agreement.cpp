#include "labeling/agreement.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace chosei {

namespace {

std::vector<int> sorted_values(const std::vector<std::vector<int>>& groups) {
  std::vector<int> v;
  for (const auto& g : groups) v.insert(v.end(), g.begin(), g.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::size_t index_of(const std::vector<int>& sorted, int value) {
  return static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), value) -
                                  sorted.begin());
}

double kappa_weight(KappaWeights w, std::size_t i, std::size_t j) {
  const double d = std::abs(static_cast<double>(i) - static_cast<double>(j));
  switch (w) {
    case KappaWeights::kNone:
      return i == j ? 0.0 : 1.0;
    case KappaWeights::kLinear:
      return d;
    case KappaWeights::kQuadratic:
      return d * d;
  }
  return 0;
}

// d^2(c, k) between the c-th and k-th sorted values; `n` holds each value's total n_c.
double alpha_distance(AlphaMetric m, const std::vector<int>& values, const std::vector<double>& n,
                      std::size_t c, std::size_t k) {
  const double vc = values[c], vk = values[k];
  switch (m) {
    case AlphaMetric::kNominal:
      return c == k ? 0.0 : 1.0;
    case AlphaMetric::kInterval:
      return (vc - vk) * (vc - vk);
    case AlphaMetric::kRatio:
      return vc + vk == 0 ? 0.0 : std::pow((vc - vk) / (vc + vk), 2);
    case AlphaMetric::kOrdinal: {
      double sum = 0;
      for (std::size_t g = std::min(c, k); g <= std::max(c, k); ++g) sum += n[g];
      return std::pow(sum - (n[c] + n[k]) / 2.0, 2);
    }
  }
  return 0;
}

}  // namespace

std::optional<double> cohen_kappa(const std::vector<int>& a, const std::vector<int>& b,
                                  KappaWeights weights) {
  if (a.size() != b.size())
    throw std::invalid_argument("cohen_kappa: " + std::to_string(a.size()) + " labels against " +
                                std::to_string(b.size()));
  if (a.empty()) return std::nullopt;
  const auto cats = sorted_values({a, b});
  const std::size_t k = cats.size();
  std::vector<double> observed(k * k, 0), rows(k, 0), cols(k, 0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto r = index_of(cats, a[i]), c = index_of(cats, b[i]);
    observed[r * k + c] += 1;
    rows[r] += 1;
    cols[c] += 1;
  }
  const double n = static_cast<double>(a.size());
  double wo = 0, we = 0;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const double w = kappa_weight(weights, i, j);
      wo += w * observed[i * k + j] / n;
      we += w * rows[i] * cols[j] / (n * n);
    }
  if (we <= 0) return std::nullopt;
  return 1.0 - wo / we;
}

std::optional<double> fleiss_kappa(const std::vector<std::vector<int>>& counts) {
  if (counts.empty()) return std::nullopt;
  const std::size_t k = counts[0].size();
  double raters = -1;
  std::vector<double> totals(k, 0);
  double mean_p = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i].size() != k)
      throw std::invalid_argument("fleiss_kappa: item " + std::to_string(i) + " has " +
                                  std::to_string(counts[i].size()) + " categories, not " +
                                  std::to_string(k));
    double n = 0, squares = 0;
    for (std::size_t j = 0; j < k; ++j) {
      n += counts[i][j];
      squares += static_cast<double>(counts[i][j]) * counts[i][j];
      totals[j] += counts[i][j];
    }
    if (raters < 0) raters = n;
    if (n != raters || n < 2)
      throw std::invalid_argument("fleiss_kappa: item " + std::to_string(i) + " has " +
                                  std::to_string(static_cast<long>(n)) +
                                  " ratings; every item needs the same number (" +
                                  std::to_string(static_cast<long>(raters)) + ", at least 2)");
    mean_p += (squares - n) / (n * (n - 1));
  }
  const double items = static_cast<double>(counts.size());
  mean_p /= items;
  double expected = 0;
  for (double t : totals) expected += std::pow(t / (items * raters), 2);
  if (expected >= 1) return std::nullopt;
  return (mean_p - expected) / (1 - expected);
}

std::optional<double> krippendorff_alpha(const std::vector<std::vector<int>>& units,
                                         AlphaMetric metric) {
  const auto values = sorted_values(units);
  const std::size_t k = values.size();
  std::vector<double> o(k * k, 0);
  for (const auto& u : units) {
    if (u.size() < 2) continue;  // a lone rating pairs with nothing
    const double m = static_cast<double>(u.size());
    for (std::size_t x = 0; x < u.size(); ++x)
      for (std::size_t y = 0; y < u.size(); ++y)
        if (x != y) o[index_of(values, u[x]) * k + index_of(values, u[y])] += 1.0 / (m - 1);
  }
  std::vector<double> nc(k, 0);
  double n = 0;
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < k; ++j) nc[c] += o[c * k + j];
    n += nc[c];
  }
  if (n <= 1) return std::nullopt;
  double d_o = 0, d_e = 0;
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < k; ++j) {
      const double d2 = alpha_distance(metric, values, nc, c, j);
      d_o += o[c * k + j] * d2;
      d_e += nc[c] * nc[j] * d2;
    }
  d_o /= n;
  d_e /= n * (n - 1);
  if (d_e <= 0) return std::nullopt;
  return 1.0 - d_o / d_e;
}

}  // namespace chosei
