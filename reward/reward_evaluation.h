#pragma once
// `chosei reward eval --model DIR --data FILE [--baseline DIR] [--json]`: how well a reward
// model orders held-out preference pairs. Accuracy with its 95% Wilson interval, mean
// margin, expected calibration error of sigmoid(r_c - r_r) over 10 bins (with a reliability
// diagram in an HTML report), accuracy by answer-length bucket, and the "shorter answer
// wins" / "longer answer wins" baselines on the same pairs; with --baseline, the accuracy
// of a second reward model on them too.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "reward/preference_metrics.h"

namespace chosei {

struct RewardEvalOptions {
  std::string model, data, baseline;
  std::string from = "auto";
  std::string chat_template;
  std::string report = "reward_eval.html";  // "" for none
  std::int64_t max_seq_len = 0;             // 0: the model's max_position_embeddings
  std::int64_t batch_size = 16;             // pairs per forward pass
};

struct LengthBucket {
  std::size_t min_tokens = 0, max_tokens = 0;  // mean answer tokens of the pair
  std::int64_t pairs = 0;
  double accuracy = 0;
};

struct RewardEvalResult {
  std::int64_t pairs = 0, correct = 0, dropped = 0;
  double accuracy = 0, ci_low = 0, ci_high = 0, mean_margin = 0, ece = 0;
  std::vector<CalibrationBin> calibration;
  std::vector<LengthBucket> by_length;
  double shorter_wins = 0, longer_wins = 0;
  std::optional<double> baseline_accuracy;
};

RewardEvalResult evaluate_reward_model(const RewardEvalOptions& options);

nlohmann::ordered_json reward_eval_json(const RewardEvalResult& result);
std::string reward_eval_text(const RewardEvalResult& result);
// The HTML report: the numbers, the reliability diagram (inline SVG) and the buckets.
std::string reward_eval_html(const RewardEvalResult& result, const std::string& title);

}  // namespace chosei
