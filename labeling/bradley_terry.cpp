#include "labeling/bradley_terry.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace chosei {

namespace {

constexpr double kLn10 = 2.302585092994046;

struct PairTotals {
  std::size_t a, b;
  double games, score;  // score: a's wins (ties count half)
};

std::vector<PairTotals> totals(std::size_t models, const std::vector<Battle>& battles) {
  std::vector<double> games(models * models, 0), score(models * models, 0);
  for (const auto& x : battles) {
    if (x.a >= models || x.b >= models || x.a == x.b)
      throw std::invalid_argument("a battle names model " + std::to_string(x.a) + " against " +
                                  std::to_string(x.b) + " of " + std::to_string(models));
    games[x.a * models + x.b] += 1;
    score[x.a * models + x.b] += x.outcome;
  }
  std::vector<PairTotals> out;
  for (std::size_t a = 0; a < models; ++a)
    for (std::size_t b = 0; b < models; ++b)
      if (games[a * models + b] > 0)
        out.push_back({a, b, games[a * models + b], score[a * models + b]});
  return out;
}

// Solves H x = g in place (H symmetric positive definite, small): Gaussian elimination.
std::vector<double> solve(std::vector<double> h, std::vector<double> g) {
  const std::size_t n = g.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(h[r * n + c]) > std::abs(h[pivot * n + c])) pivot = r;
    for (std::size_t j = 0; j < n; ++j) std::swap(h[c * n + j], h[pivot * n + j]);
    std::swap(g[c], g[pivot]);
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = h[r * n + c] / h[c * n + c];
      for (std::size_t j = c; j < n; ++j) h[r * n + j] -= f * h[c * n + j];
      g[r] -= f * g[c];
    }
  }
  std::vector<double> x(n, 0);
  for (std::size_t i = n; i-- > 0;) {
    double s = g[i];
    for (std::size_t j = i + 1; j < n; ++j) s -= h[i * n + j] * x[j];
    x[i] = s / h[i * n + i];
  }
  return x;
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Newton's method on the negative log-likelihood; the prior is `prior_ties` ties of every
// model against an anchor at beta = 0. A tiny ridge fixes the free offset of the plain MLE.
std::vector<double> fit(std::size_t models, const std::vector<PairTotals>& pairs, double prior) {
  std::vector<double> beta(models, 0);
  for (int iter = 0; iter < 100; ++iter) {
    std::vector<double> grad(models, 0), hess(models * models, 0);
    for (std::size_t m = 0; m < models; ++m) {
      const double p = sigmoid(kLn10 * beta[m]);
      grad[m] += -prior * kLn10 * (0.5 - p);
      hess[m * models + m] += prior * kLn10 * kLn10 * p * (1 - p) + 1e-9;
    }
    for (const auto& t : pairs) {
      const double p = sigmoid(kLn10 * (beta[t.a] - beta[t.b]));
      const double g = -kLn10 * (t.score - t.games * p);
      const double h = kLn10 * kLn10 * t.games * p * (1 - p);
      grad[t.a] += g;
      grad[t.b] -= g;
      hess[t.a * models + t.a] += h;
      hess[t.b * models + t.b] += h;
      hess[t.a * models + t.b] -= h;
      hess[t.b * models + t.a] -= h;
    }
    const auto step = solve(hess, grad);
    double largest = 0;
    for (std::size_t m = 0; m < models; ++m) {
      beta[m] -= std::clamp(step[m], -1.0, 1.0);  // damped: far from the optimum H is flat
      largest = std::max(largest, std::abs(step[m]));
    }
    if (largest < 1e-12) break;
  }
  if (prior == 0) {
    const double mean =
        std::accumulate(beta.begin(), beta.end(), 0.0) / static_cast<double>(models);
    for (auto& b : beta) b -= mean;
  }
  return beta;
}

bool connected(std::size_t models, const std::vector<PairTotals>& pairs) {
  std::vector<std::size_t> parent(models);
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& t : pairs) parent[root(t.a)] = root(t.b);
  for (std::size_t m = 1; m < models; ++m)
    if (root(m) != root(0)) return false;
  return true;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

std::vector<double> bradley_terry_ratings(std::size_t models, const std::vector<Battle>& battles,
                                          double prior_ties) {
  auto beta = fit(models, totals(models, battles), prior_ties);
  for (auto& b : beta) b = 400 * b + 1000;
  return beta;
}

Leaderboard rate_models(const std::vector<std::string>& models, const std::vector<Battle>& battles,
                        const RatingOptions& options) {
  Leaderboard out;
  const std::size_t n = models.size();
  out.connected = connected(n, totals(n, battles));
  const auto ratings = bradley_terry_ratings(n, battles, options.prior_ties);
  std::vector<std::vector<double>> samples(n);
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<std::size_t> pick(0, battles.empty() ? 0 : battles.size() - 1);
  for (int round = 0; round < options.bootstrap_rounds && !battles.empty(); ++round) {
    std::vector<Battle> resampled(battles.size());
    for (auto& b : resampled) b = battles[pick(rng)];
    const auto r = bradley_terry_ratings(n, resampled, options.prior_ties);
    for (std::size_t m = 0; m < n; ++m) samples[m].push_back(r[m]);
  }
  for (std::size_t m = 0; m < n; ++m) {
    ModelRating r;
    r.model = models[m];
    r.rating = ratings[m];
    r.lower = samples[m].empty() ? r.rating : quantile(samples[m], 0.025);
    r.upper = samples[m].empty() ? r.rating : quantile(samples[m], 0.975);
    out.models.push_back(r);
  }
  for (const auto& b : battles) {
    auto& a = out.models[b.a];
    auto& o = out.models[b.b];
    if (b.outcome > 0.5)
      ++a.wins, ++o.losses;
    else if (b.outcome < 0.5)
      ++a.losses, ++o.wins;
    else
      ++a.ties, ++o.ties;
  }
  for (auto& r : out.models)
    r.rank = 1 + static_cast<int>(
                     std::count_if(out.models.begin(), out.models.end(),
                                   [&](const ModelRating& o) { return o.lower > r.upper; }));
  std::stable_sort(out.models.begin(), out.models.end(),
                   [](const ModelRating& x, const ModelRating& y) { return x.rating > y.rating; });
  return out;
}

}  // namespace chosei
