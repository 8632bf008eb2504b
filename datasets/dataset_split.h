#pragma once
// Splits a JSONL dataset into train and validation sets: a seeded shuffle picks
// round(n * val_fraction) lines for validation (per stratum with `stratify_field`, so each
// value of e.g. "intent" keeps its share); both outputs keep the input's line order and
// the lines' exact bytes.

#include <cstdint>
#include <string>

namespace chosei {

struct SplitOptions {
  double val_fraction = 0.1;
  std::uint64_t seed = 0;
  std::string stratify_field;  // empty: no stratification
};

struct SplitCounts {
  std::int64_t train = 0, val = 0;
};

// Writes out_dir/train.jsonl and out_dir/val.jsonl atomically. Throws naming file:line
// when stratifying and a line lacks the field or is not JSON.
SplitCounts split_jsonl(const std::string& path, const std::string& out_dir,
                        const SplitOptions& options);

}  // namespace chosei
