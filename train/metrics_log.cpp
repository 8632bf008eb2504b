#include "train/metrics_log.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/atomic_file.h"

namespace chosei {

namespace fs = std::filesystem;

MetricsLog::MetricsLog(const std::string& run_dir, bool enabled)
    : path_((fs::path(run_dir) / "metrics.jsonl").string()), enabled_(enabled) {}

void MetricsLog::start_fresh() {
  if (enabled_) fs::remove(path_);
}

void MetricsLog::truncate_after(std::int64_t step) {
  if (!enabled_ || !fs::exists(path_)) return;
  std::istringstream in(read_file(path_));
  std::string kept, line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    // A torn last line (killed mid-write) is dropped with the lines after the checkpoint.
    if (j.is_discarded() || !j.is_object()) continue;
    if (j.value("step", std::int64_t{0}) <= step) kept += line + "\n";
  }
  write_file_atomic(path_, kept);
}

void MetricsLog::append(const nlohmann::json& line) {
  if (!enabled_) return;
  std::ofstream out(path_, std::ios::app);
  out << line.dump() << "\n";
  out.flush();
}

}  // namespace chosei
