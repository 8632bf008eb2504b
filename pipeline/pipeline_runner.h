#pragma once
// Runs a pipeline's stages in order, each as `chosei <command>` in its own process (run in
// the pipeline file's directory, writing OUT/NAME, its output in OUT/logs/NAME.log), skipping a
// stage whose fingerprint (stage_fingerprint.h) equals the one of its last success. Training stages
// (pretrain, sft, align, reward train) get resume_from=auto unless the command says
// otherwise, so a pipeline run again after a crash continues the interrupted stage from its
// last checkpoint. OUT/report.html is rewritten after every stage.

#include <iosfwd>
#include <string>
#include <vector>

#include "pipeline/pipeline_file.h"

namespace chosei {

struct PipelineRunOptions {
  std::string from;       // run this stage and every later one even if unchanged
  bool dry_run = false;   // say what would run, run nothing
  bool echo_logs = true;  // copy each stage's output to `progress` as it runs
  std::string program;    // the chosei executable
  std::ostream* progress = nullptr;
};

struct StageOutcome {
  std::string name;
  std::string action;  // ran, skipped, failed, would run, would skip, not reached
  std::string reason;
  std::vector<std::string> command;  // after substitution
  std::string dir;
  double seconds = 0;
  int exit_code = 0;
};

// Throws std::runtime_error after writing the report when a stage fails, naming the stage,
// its exit status and its log.
std::vector<StageOutcome> run_pipeline(const PipelineFile& file, const PipelineRunOptions& options);

// OUT/logs/STAGE.log: kept outside the stage's directory, so that a stage that writes the
// same bytes again does not look changed to the stages that read its directory.
std::string stage_log(const PipelineFile& file, const std::string& stage);

// The command a stage runs: its arguments substituted, resume_from=auto added to training.
std::vector<std::string> stage_command(const PipelineFile& file, std::size_t stage);

}  // namespace chosei
