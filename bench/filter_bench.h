#pragma once
// Filter measurements for chosei_bench.
//   filter FILE      -> "check_mb_per_s <x> lines <n> matches <m>"  (every built-in pack, input)
//   stream FILE      -> "us_per_token <x> tokens <n> mean_held_bytes <h>"  (output filter,
//                       4-byte chunks; held: text received but not yet released)

#include <string>

namespace chosei {

int bench_filter_check(const std::string& file);
int bench_filter_stream(const std::string& file);

}  // namespace chosei
