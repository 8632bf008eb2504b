#include "generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace chosei {

Sampler::Sampler(const SamplingOptions& options) : options_(options), rng_(options.seed) {
  if (!(options.temperature >= 0)) throw std::invalid_argument("temperature must be >= 0");
  if (!(options.top_p > 0 && options.top_p <= 1))
    throw std::invalid_argument("top_p must be in (0, 1]");
  if (!(options.repetition_penalty > 0))
    throw std::invalid_argument("repetition_penalty must be > 0");
  if (options.top_k < 0) throw std::invalid_argument("top_k must be >= 0");
}

void Sampler::apply_penalties(std::int64_t V, const std::vector<TokenId>& history) {
  if (options_.repetition_penalty != 1.0) {
    std::unordered_set<TokenId> seen(history.begin(), history.end());
    const float r = static_cast<float>(options_.repetition_penalty);
    for (auto id : seen)
      if (id >= 0 && id < V) work_[id] = work_[id] > 0 ? work_[id] / r : work_[id] * r;
  }
  if (options_.presence_penalty != 0 || options_.frequency_penalty != 0) {
    std::unordered_map<TokenId, int> counts;
    for (std::size_t i = options_.penalty_from; i < history.size(); ++i) ++counts[history[i]];
    for (auto [id, c] : counts)
      if (id >= 0 && id < V)
        work_[id] -= static_cast<float>(c * options_.frequency_penalty + options_.presence_penalty);
  }
}

TokenId Sampler::sample(const float* logits, std::int64_t V, const std::vector<TokenId>& history,
                        const std::vector<char>* allowed) {
  work_.assign(logits, logits + V);
  apply_penalties(V, history);
  if (allowed) {
    const float off = -std::numeric_limits<float>::infinity();
    for (std::int64_t i = 0; i < V; ++i)
      if (!(*allowed)[static_cast<std::size_t>(i)]) work_[i] = off;
  }
  const TokenId chosen = choose(V);
  if (wants_logprobs()) record_logprob(V, chosen);
  return chosen;
}

// log p_i = z_i / t - logsumexp(z / t) over the whole vocabulary, t = 1 when greedy.
void Sampler::record_logprob(std::int64_t V, TokenId chosen) {
  const double inv_t = options_.temperature > 0 ? 1.0 / options_.temperature : 1.0;
  const double top = *std::max_element(work_.begin(), work_.end());
  double sum = 0;
  for (std::int64_t i = 0; i < V; ++i) sum += std::exp((work_[i] - top) * inv_t);
  const double log_z = std::log(sum);
  auto logprob = [&](std::int32_t i) {
    return static_cast<float>((work_[i] - top) * inv_t - log_z);
  };
  logprob_.id = chosen;
  logprob_.logprob = logprob(chosen);
  logprob_.top.clear();
  const auto n = std::min<std::int64_t>(options_.top_logprobs, V);
  if (n == 0) return;
  std::vector<std::int32_t> ids(static_cast<std::size_t>(V));
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](std::int32_t a, std::int32_t b) {
    return work_[a] > work_[b] || (work_[a] == work_[b] && a < b);
  });
  for (std::int64_t i = 0; i < n && std::isfinite(work_[ids[i]]); ++i)
    logprob_.top.emplace_back(ids[i], logprob(ids[i]));
}

// No top-k or top-p: the softmax drawn in vocabulary order, the same distribution without
// sorting (sorting 8k-32k candidates per token was most of a batched server's step).
// The exponentials in float (the sum in double): double exp over 16 rows x 32k entries was
// a tenth of a 16-stream server's step on ~40M; float's relative error (~1e-7) is far below
// anything a draw can tell.
TokenId Sampler::draw_from_whole_vocabulary(std::int64_t V) {
  const float inv_t = static_cast<float>(1.0 / options_.temperature);
  const float top = *std::max_element(work_.begin(), work_.begin() + V);
  weights_.resize(static_cast<std::size_t>(V));
  double sum = 0;
  for (std::int64_t i = 0; i < V; ++i) sum += weights_[i] = std::exp((work_[i] - top) * inv_t);
  double u = std::uniform_real_distribution<double>(0.0, sum)(rng_);
  TokenId last = 0;
  for (std::int64_t i = 0; i < V; ++i) {
    if (weights_[i] == 0) continue;  // masked: never drawn
    if (u <= weights_[i]) return static_cast<TokenId>(i);
    u -= weights_[i];
    last = static_cast<TokenId>(i);
  }
  return last;
}

TokenId Sampler::choose(std::int64_t V) {
  if (options_.temperature == 0) {
    return static_cast<TokenId>(std::max_element(work_.begin(), work_.end()) - work_.begin());
  }
  std::int64_t keep = V;
  if (options_.top_k > 0 && options_.top_k < V) keep = options_.top_k;
  if (keep == V && options_.top_p >= 1.0) return draw_from_whole_vocabulary(V);
  order_.resize(static_cast<std::size_t>(V));
  std::iota(order_.begin(), order_.end(), 0);
  auto higher = [&](std::int32_t a, std::int32_t b) {
    return work_[a] > work_[b] || (work_[a] == work_[b] && a < b);
  };
  // The same total order either way; introsort beats a heap over the whole vocabulary.
  if (keep == V)
    std::sort(order_.begin(), order_.end(), higher);
  else
    std::partial_sort(order_.begin(), order_.begin() + keep, order_.end(), higher);
  // Softmax over the kept candidates at this temperature.
  const double inv_t = 1.0 / options_.temperature;
  const double max_logit = work_[order_[0]];
  std::vector<double> probs(static_cast<std::size_t>(keep));
  double sum = 0;
  for (std::int64_t i = 0; i < keep; ++i)
    sum += probs[i] = std::exp((work_[order_[i]] - max_logit) * inv_t);
  // Nucleus: the smallest prefix whose mass reaches top_p.
  std::int64_t n = keep;
  while (n > 1 && probs[n - 1] == 0) --n;  // masked tokens: never drawn
  if (options_.top_p < 1.0) {
    double cum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      cum += probs[i] / sum;
      if (cum >= options_.top_p) {
        n = i + 1;
        break;
      }
    }
  }
  double mass = std::accumulate(probs.begin(), probs.begin() + n, 0.0);
  double u = std::uniform_real_distribution<double>(0.0, mass)(rng_);
  for (std::int64_t i = 0; i < n; ++i) {
    u -= probs[i];
    if (u <= 0) return order_[i];
  }
  return order_[n - 1];
}

}  // namespace chosei
