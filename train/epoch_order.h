#pragma once
// The order in which a task visits its examples in a training epoch: a permutation drawn
// from (seed, epoch) alone, so every process and every resumed run sees the same order.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace chosei {

std::vector<std::size_t> epoch_order(std::size_t examples, std::uint64_t seed, std::int64_t epoch);

}  // namespace chosei
