#pragma once
// PipelineState: what OUT/pipeline_state.json records per stage: the fingerprint it last
// started with and the one of its last success (with when and how long). Saved atomically
// after every change, so a crash loses at most the stage that was running; that stage runs
// again, resuming its own checkpoints when it started with the same fingerprint and from a
// clean directory when its inputs changed since.

#include <map>
#include <optional>
#include <string>

namespace chosei {

struct StageRecord {
  std::string started;    // fingerprint of the last start
  std::string succeeded;  // fingerprint of the last success
  double seconds = 0;     // how long that success took
  std::int64_t finished_at = 0;
};

class PipelineState {
 public:
  // Reads `path` when it exists; a file that is not ours is an error naming it.
  explicit PipelineState(std::string path);
  StageRecord get(const std::string& stage) const;
  void set(const std::string& stage, const StageRecord& record);  // saves

 private:
  std::string path_;
  std::map<std::string, StageRecord> stages_;
};

}  // namespace chosei
