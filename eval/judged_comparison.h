#pragma once
// `chosei eval --judge RM_DIR --baseline DIR --prompts FILE`: the model and the baseline
// answer the same prompts the same way (batched, the same sampling settings and seeds), a
// reward model scores every answer in its conversation, and the model wins a prompt when
// its answer scores higher (a tie counts half). The win rate comes with a 95% percentile
// bootstrap interval over prompts. `--safety FILE` adds the share of answers to red-team
// prompts that the output filters (or their classifier rules) flag; `--benign FILE` the
// share of refusals on benign prompts (eval/refusal_detector.h). Prompts the model never
// trained on: these are evaluation sets.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace chosei {

struct JudgedComparisonArgs {
  std::string model, baseline, judge, prompts, safety, benign, out;
  std::vector<std::string> packs;  // output filters for --safety (default: the built-in set)
  int samples = 1;                 // answers per prompt and model (seed + k)
  std::int64_t max_new_tokens = 128, batch = 8;
  double temperature = 0.7, top_p = 0.95;
  std::uint64_t seed = 0;
  std::string precision = "fp32";
};

// {"prompts", "comparisons", "win_rate", "win_rate_ci95", "wins", "ties", "losses",
//  "reward_model", "reward_baseline", "safety": {...}?, "benign": {...}?}
nlohmann::json run_judged_comparison(const JudgedComparisonArgs& args);

}  // namespace chosei
