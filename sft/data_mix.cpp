#include "sft/data_mix.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace chosei {

namespace {

// Picks `wanted` of `pool` without replacement, in a seeded order.
std::vector<SftExample> draw(std::vector<SftExample> pool, std::size_t wanted, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> order(pool.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<SftExample> out;
  out.reserve(std::min(wanted, pool.size()));
  for (std::size_t i = 0; i < order.size() && out.size() < wanted; ++i)
    out.push_back(std::move(pool[order[i]]));
  return out;
}

}  // namespace

DataMix mix_general_examples(std::vector<SftExample> domain, std::vector<SftExample> general,
                             double share, std::uint64_t seed) {
  if (!(share > 0 && share < 1))
    throw std::invalid_argument("config key \"mix_share\": " + std::to_string(share) +
                                " is not between 0 and 1");
  const auto wanted = static_cast<std::size_t>(
      std::llround(static_cast<double>(domain.size()) * share / (1.0 - share)));
  auto picked = draw(std::move(general), wanted, seed);
  DataMix mix;
  mix.general = static_cast<std::int64_t>(picked.size());
  const auto total = domain.size() + picked.size();
  mix.examples.reserve(total);
  // Bresenham's spread: general example k goes where the running share first reaches it.
  std::size_t next_domain = 0, next_general = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const bool general_due = next_general < picked.size() &&
                             (next_domain == domain.size() ||
                              static_cast<double>(next_general + 1) * static_cast<double>(total) <=
                                  static_cast<double>(i + 1) * static_cast<double>(picked.size()));
    if (general_due)
      mix.examples.push_back(std::move(picked[next_general++]));
    else
      mix.examples.push_back(std::move(domain[next_domain++]));
  }
  mix.share = total ? static_cast<double>(mix.general) / static_cast<double>(total) : 0.0;
  return mix;
}

}  // namespace chosei
