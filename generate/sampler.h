#pragma once
// Sampler: picks the next token from a logits row. Temperature 0 is greedy (first maximum,
// as llama2.c's argmax); otherwise the repetition penalty (Keskar et al. 2019, CTRL,
// arXiv 1909.05858, sec. 4.1: positive logits divided by r, negative multiplied), then
// temperature, top-k, top-p (Holtzman et al. 2019, arXiv 1904.09751, eq. 3) and a draw
// from a seeded 64-bit Mersenne Twister. Deterministic for a given seed.
//
// Log-probabilities, when asked for, are those of the distribution the token is drawn from
// after the penalties, the temperature (1 when greedy) and a constraint's mask: the
// log-softmax over the whole vocabulary, before top-k/top-p truncation (as vLLM and
// OpenAI report them), so greedy decoding reports log_softmax(logits).

#include <cstdint>
#include <random>
#include <utility>
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
  // -1: no log-probabilities; 0..20: the chosen token's and this many alternatives.
  int top_logprobs = -1;
};

// The log-probability of a chosen token and of the most likely alternatives.
struct TokenLogprob {
  TokenId id = -1;
  float logprob = 0;
  std::vector<std::pair<TokenId, float>> top;  // most likely first
};

class Sampler {
 public:
  // Throws std::invalid_argument on a negative temperature, top_p outside (0, 1] or a
  // non-positive repetition penalty.
  explicit Sampler(const SamplingOptions& options);
  // logits: V floats; history: tokens so far (for the repetition penalty). `allowed`, when
  // given, holds V flags: only flagged tokens can be chosen (at least one must be).
  TokenId sample(const float* logits, std::int64_t vocab, const std::vector<TokenId>& history,
                 const std::vector<char>* allowed = nullptr);
  // The last sample's log-probabilities (options.top_logprobs >= 0).
  const TokenLogprob& last_logprob() const { return logprob_; }
  bool wants_logprobs() const { return options_.top_logprobs >= 0; }

 private:
  SamplingOptions options_;
  std::mt19937_64 rng_;
  std::vector<float> work_;
  std::vector<std::int32_t> order_;
  std::vector<double> weights_;
  TokenLogprob logprob_;

  void apply_penalties(std::int64_t V, const std::vector<TokenId>& history);
  TokenId choose(std::int64_t V);
  TokenId draw_from_whole_vocabulary(std::int64_t V);
  void record_logprob(std::int64_t V, TokenId chosen);
};

}  // namespace chosei
