#include "train/epoch_order.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace chosei {

std::vector<std::size_t> epoch_order(std::size_t examples, std::uint64_t seed, std::int64_t epoch) {
  std::vector<std::size_t> order(examples);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed * 1000003ull + static_cast<std::uint64_t>(epoch));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

}  // namespace chosei
