#pragma once
// Sampler: picks the next token from a logits row. Temperature 0 is greedy (first maximum,
// as llama2.c's argmax); otherwise the repetition penalty (Keskar et al. 2019, CTRL,
// arXiv 1909.05858, sec. 4.1: positive logits divided by r, negative multiplied), then
// temperature, top-k, top-p (Holtzman et al. 2019, arXiv 1904.09751, eq. 3) and a draw
// from a seeded 64-bit Mersenne Twister. Deterministic for a given seed.

#include <cstdint>
#include <random>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

struct SamplingOptions {
  double temperature = 1.0;
  std::int64_t top_k = 0;  // 0: off
  double top_p = 1.0;      // 1: off
  double repetition_penalty = 1.0;
  std::uint64_t seed = 0;
  // OpenAI's penalties: logit -= count * frequency + (count > 0) * presence, counting the
  // tokens of history[penalty_from:] (the generated ones).
  double presence_penalty = 0, frequency_penalty = 0;
  std::size_t penalty_from = 0;
};

class Sampler {
 public:
  // Throws std::invalid_argument on a negative temperature, top_p outside (0, 1] or a
  // non-positive repetition penalty.
  explicit Sampler(const SamplingOptions& options);
  // logits: V floats; history: tokens so far (for the repetition penalty).
  TokenId sample(const float* logits, std::int64_t vocab, const std::vector<TokenId>& history);

 private:
  SamplingOptions options_;
  std::mt19937_64 rng_;
  std::vector<float> work_;
  std::vector<std::int32_t> order_;
};

}  // namespace chosei
