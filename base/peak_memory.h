#pragma once
// The most resident memory this process has held so far (the kernel's high-water mark,
// getrusage's ru_maxrss): what a training run's metrics and reports call peak memory, and
// what the benchmarks compare with the peers' own.

#include <cstdint>

namespace chosei {

std::int64_t peak_resident_bytes();

}  // namespace chosei
