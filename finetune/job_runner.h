#pragma once
// JobRunner: the queue of fine-tuning jobs. One thread takes jobs in the order they were
// made: validating_files (the files exist, are processed, and fit the method) -> queued ->
// running (the recipe as a ChildProcess, its metrics and checkpoints turned into events as
// they appear) -> succeeded (the model registered, step_metrics.csv a result file), failed
// (error with code, message and param) or cancelled. Jobs run one at a time; files of
// waiting jobs are validated while another trains.
//
// A server killed mid-job finds the job running when it starts again: its process is gone
// (killed with the server) and it resumes from its last checkpoint, or after max_attempts
// interruptions it fails with that reason. Events already recorded are not recorded again.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "finetune/file_store.h"
#include "finetune/job_store.h"

namespace chosei {

struct JobRunnerOptions {
  std::string jobs_dir;               // DATA/jobs: one folder per job (run/, log.txt)
  std::string program;                // the chosei executable the recipes run in
  std::vector<std::string> settings;  // run keys for every job (RecipeCommand::operator_settings)
  // Called when a job's model is ready to serve.
  std::function<void(const FineTunedModel&)> on_model;
  int max_attempts = 3;
  double poll_seconds = 0.25;
};

class JobRunner {
 public:
  JobRunner(JobStore& jobs, FileStore& files, JobRunnerOptions options);
  ~JobRunner();

  // Finds jobs a previous server left running, then serves the queue in a thread.
  void start();
  // A job was created: look at the queue now.
  void wake();
  // Cancels a job that has not finished (a running one's process is stopped first);
  // returns the job. Throws std::invalid_argument for a finished job.
  nlohmann::json cancel(const std::string& id);
  // Stops the thread; a running job's process is stopped and the job stays running, to be
  // resumed by the next start().
  void stop();

 private:
  void serve();
  void recover();
  void validate_waiting();
  void validate(const std::string& id);
  void run(const std::string& id);
  void record_progress(const std::string& id, class LineTail& metrics, const std::string& run_dir);
  void finish(const std::string& id, int exit_code, const std::string& run_dir,
              const std::string& log_path);
  void fail(const std::string& id, const std::string& code, const std::string& message,
            const std::string& param);

  JobStore& jobs_;
  FileStore& files_;
  JobRunnerOptions options_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false, woken_ = false;
  std::string running_;  // the job whose process runs now
  std::atomic<bool> cancel_running_{false};
  std::set<std::int64_t> recorded_checkpoints_;  // the running job's, seen by this process
};

// OpenAI's organization_id for an owner (a key's hash): "org-" and its first 12 digits.
std::string organization_of(const std::string& owner);

}  // namespace chosei
