#pragma once
// MetricsLog: a run's metrics.jsonl, one JSON object per logged step or evaluation, each
// with its "step". A fresh run starts it empty; a resumed run first drops the lines a
// killed run logged after its checkpoint, so the file reads as one uninterrupted run.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace chosei {

class MetricsLog {
 public:
  // `enabled` false (a data-parallel rank other than 0): every call does nothing.
  MetricsLog(const std::string& run_dir, bool enabled);

  void start_fresh();
  // Keeps the lines up to and including `step` (atomically rewritten).
  void truncate_after(std::int64_t step);
  void append(const nlohmann::json& line);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool enabled_;
};

}  // namespace chosei
