#pragma once
// Random preference pairs over the tiny test vocabulary (tests/unit/tiny_score_model.h):
// a shared prompt of 2-5 tokens, answers of 1-6 tokens each ending with eos 2, margins
// cycling 0, 0.5, 1. For the reward and alignment tests and their PyTorch references.

#include <random>
#include <vector>

#include "datasets/preference_example.h"

namespace chosei::test {

inline std::vector<PreferenceExample> random_pairs(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<PreferenceExample> out;
  for (int i = 0; i < n; ++i) {
    PreferenceExample e;
    const std::size_t prompt = 2 + rng() % 4;
    for (std::size_t k = 0; k < prompt; ++k) e.chosen.ids.push_back(3 + rng() % 37);
    e.rejected.ids = e.chosen.ids;
    e.chosen.prompt_tokens = e.rejected.prompt_tokens = prompt;
    for (std::size_t k = 0, m = 1 + rng() % 6; k < m; ++k) e.chosen.ids.push_back(3 + rng() % 37);
    for (std::size_t k = 0, m = 1 + rng() % 6; k < m; ++k) e.rejected.ids.push_back(3 + rng() % 37);
    e.chosen.ids.push_back(2), e.rejected.ids.push_back(2);  // end with eos == pad
    e.margin = (i % 3) * 0.5;
    e.pair = static_cast<std::size_t>(i);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace chosei::test
