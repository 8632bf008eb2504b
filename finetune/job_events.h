#pragma once
// What a running job says about itself, read from its run directory: each new line of the
// recipe's metrics.jsonl becomes a metrics event (OpenAI's names: train_loss,
// train_mean_token_accuracy, valid_loss, valid_mean_token_accuracy, plus the recipe's own),
// each checkpoint directory a checkpoint, and the finished run a step_metrics.csv.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace chosei {

// Reads the complete lines appended to a file since the last call. A file that got shorter
// or was replaced (a resumed run rewrites its log without what it logged after its
// checkpoint, then appends) is read again from the start.
class LineTail {
 public:
  explicit LineTail(std::string path) : path_(std::move(path)) {}
  std::vector<std::string> new_lines();

 private:
  std::string path_;
  std::uint64_t offset_ = 0;
  std::uint64_t inode_ = 0;  // a file replaced by rename (a resumed run's log) starts over
};

// One metrics.jsonl line in the API's names: {"step", "total_steps", "train_loss",
// "train_mean_token_accuracy", ...} for a training line, {"step", "valid_loss", ...} for an
// evaluation. Keys the recipe logs under other names keep them.
nlohmann::json api_metrics(const nlohmann::json& line);

// "Step 3/40: training loss=1.234, token accuracy=0.512" and the like.
std::string metrics_message(const nlohmann::json& metrics);

// step_metrics.csv (step, train_loss, train_accuracy, valid_loss, valid_mean_token_accuracy)
// from a run's metrics.jsonl; empty cells where a step has no such value.
std::string step_metrics_csv(const std::string& metrics_jsonl_path);

// The API metrics of every metrics.jsonl line logged at `step` (training and evaluation)
// merged into one object; {"step": step} when there are none.
nlohmann::json metrics_at_step(const std::string& metrics_jsonl_path, std::int64_t step);

// The steps of the run's checkpoints/step-N directories, ascending.
std::vector<std::int64_t> checkpoint_steps(const std::string& run_dir);

}  // namespace chosei
