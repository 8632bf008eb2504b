#pragma once
// Filter measurements for chosei_bench.
//   filter FILE [all] -> "check_mb_per_s <x> lines <n> matches <m> ms_per_text <t>
//                        classifier_ms <c>"  (the pattern packs, or with "all" every built-in
//                        pack: the safety classifier too; input direction; one text per line)
//   stream FILE      -> "us_per_token <x> tokens <n> mean_held_bytes <h>"  (output filter,
//                       4-byte chunks; held: text received but not yet released)

#include <string>

namespace chosei {

int bench_filter_check(const std::string& file, bool with_classifier);
int bench_filter_stream(const std::string& file);

}  // namespace chosei
