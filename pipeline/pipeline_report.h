#pragma once
// OUT/report.html of a pipeline run: each stage with its command, what happened to it (ran
// in how long, skipped and why, failed), links to the reports and logs it wrote, and the
// numbers it produced (the files its "numbers" names; the last evaluation in its
// metrics.jsonl); the declared numbers again at the top as the run's final numbers.

#include <map>
#include <string>
#include <vector>

#include "pipeline/pipeline_file.h"
#include "pipeline/pipeline_runner.h"

namespace chosei {

// Numeric fields of a JSON object file, or of a JSONL file's last line; nested objects
// flattened with '/'. Empty when the file is missing or not JSON.
std::vector<std::pair<std::string, double>> numbers_in(const std::string& path);

void write_pipeline_report(const PipelineFile& file, const std::vector<StageOutcome>& outcomes);

}  // namespace chosei
