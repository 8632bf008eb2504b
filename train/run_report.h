#pragma once
// report.html for a run directory: training and validation loss, learning rate and
// gradient norm as inline SVG charts (no scripts, no external requests), data statistics,
// sample generations, and warnings such as overfitting. Rebuilt from metrics.jsonl, so it
// can be regenerated for any run.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace chosei {

struct RunReportInput {
  std::string title;
  nlohmann::json data_stats = nlohmann::json::object();      // shown as a table
  std::vector<std::pair<std::string, std::string>> samples;  // prompt, generated answer
};

// Writes out_dir/report.html atomically; returns the warnings it found.
std::vector<std::string> write_run_report(const std::string& out_dir, const RunReportInput& input);

// lr_find.html: the range test's smoothed loss against log10(learning rate), with the
// suggestion marked.
void write_lr_find_report(const std::string& out_dir,
                          const std::vector<std::pair<double, double>>& points,
                          double suggested_lr);

// Overfitting: the evaluation loss rose at the last two evaluations while the training
// loss fell over the same span. `evals`/`train` are (step, loss) in step order.
bool overfitting(const std::vector<std::pair<double, double>>& evals,
                 const std::vector<std::pair<double, double>>& train);

// A series (step, value) that fell steadily: the mean of its last third is below that of its
// first third by more than max(1, 5%) and most steps went down. Used on logps/chosen.
bool falling_steadily(const std::vector<std::pair<double, double>>& series);

}  // namespace chosei
