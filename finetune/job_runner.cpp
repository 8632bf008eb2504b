#include "finetune/job_runner.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/child_process.h"
#include "finetune/job_events.h"
#include "finetune/job_request.h"
#include "finetune/object_id.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace chosei {

namespace {

bool finished(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "cancelled";
}

// The recipe's one-line error (the CLI prints "chosei ...: message" last), else the log's
// last line.
std::string failure_reason(const std::string& log_path, int exit_code) {
  std::ifstream in(log_path, std::ios::binary);
  std::string line, last, reason;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto cr = line.rfind('\r');  // progress lines redraw with \r
    if (cr != std::string::npos) line = line.substr(cr + 1);
    if (line.empty()) continue;
    last = line;
    if (line.rfind("chosei", 0) == 0 || line.find("error") != std::string::npos) reason = line;
  }
  std::string why = !reason.empty() ? reason : last;
  if (why.size() > 1000) why = why.substr(0, 1000) + "...";
  return "the training process exited with status " + std::to_string(exit_code) +
         (why.empty() ? "" : ": " + why);
}

}  // namespace

std::string organization_of(const std::string& owner) {
  return owner.empty() ? "org-local" : "org-" + owner.substr(0, 12);
}

JobRunner::JobRunner(JobStore& jobs, FileStore& files, JobRunnerOptions options)
    : jobs_(jobs), files_(files), options_(std::move(options)) {
  fs::create_directories(options_.jobs_dir);
}

JobRunner::~JobRunner() { stop(); }

void JobRunner::start() {
  recover();
  thread_ = std::thread([this] { serve(); });
}

void JobRunner::wake() {
  std::lock_guard<std::mutex> lock(mutex_);
  woken_ = true;
  wake_.notify_all();
}

void JobRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void JobRunner::recover() {
  for (const auto& id : jobs_.with_status("running")) {
    const auto internal = jobs_.internal(id);
    const pid_t pid = internal.value("pid", 0);
    if (process_matches(pid, internal.value("run_dir", std::string("\x01"))))
      kill_process_group(pid);
    const int attempts = internal.value("attempts", 0);
    if (attempts >= options_.max_attempts) {
      fail(id, "interrupted",
           "the server stopped while the job ran, " + std::to_string(attempts) +
               " times; not resumed again",
           "");
      continue;
    }
    jobs_.add_event(id, "warn",
                    "The server restarted while the job ran; resuming from its last checkpoint");
  }
}

void JobRunner::serve() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    files_.remove_expired(unix_seconds());
    validate_waiting();
    auto running = jobs_.with_status("running");  // resumed after a restart first
    auto queued = jobs_.with_status("queued");
    const auto next =
        !running.empty() ? running.front() : (!queued.empty() ? queued.front() : std::string());
    if (!next.empty()) {
      try {
        run(next);
      } catch (const std::exception& e) {
        fail(next, "server_error", e.what(), "");
      }
      continue;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, std::chrono::seconds(2), [&] { return stopping_ || woken_; });
    woken_ = false;
  }
}

void JobRunner::validate_waiting() {
  for (const auto& id : jobs_.with_status("validating_files")) {
    try {
      validate(id);
    } catch (const std::exception& e) {
      fail(id, "server_error", e.what(), "");
    }
  }
}

void JobRunner::validate(const std::string& id) {
  const auto owner = jobs_.owner(id);
  auto job = *jobs_.get(id, std::nullopt);
  const std::string type = job["method"]["type"];
  const std::string wanted = type == "dpo" ? "preference" : "chat";
  std::int64_t examples = 0;
  for (const char* param : {"training_file", "validation_file"}) {
    if (!job[param].is_string()) continue;
    const std::string file_id = job[param];
    jobs_.add_event(id, "info",
                    std::string("Validating ") +
                        (param == std::string("training_file") ? "training" : "validation") +
                        " file: " + file_id);
    const auto file = files_.get(file_id, owner);
    const std::string code =
        param == std::string("training_file") ? "invalid_training_file" : "invalid_validation_file";
    if (!file) return fail(id, code, "File " + file_id + " not found", param);
    const auto facts = files_.facts(file_id);
    if (facts.status != "processed")
      return fail(id, code,
                  "File " + file_id + " (" + (*file)["filename"].get<std::string>() +
                      ") is not valid training data: " + facts.status_details,
                  param);
    if (facts.kind != wanted)
      return fail(id, code,
                  "File " + file_id + " holds " + facts.kind + " data; a " + type +
                      " job trains on " + wanted + (type == "dpo" ? " pairs" : " conversations"),
                  param);
    if (param == std::string("training_file")) examples = facts.examples;
  }
  jobs_.update(id, [&](json& o, json& internal) {
    if (o["status"] != "validating_files") return;
    const auto resolved = resolve_hyperparameters(o["method"], examples);
    o["method"][type]["hyperparameters"] = resolved;
    o["hyperparameters"] = {{"n_epochs", resolved["n_epochs"]},
                            {"batch_size", resolved["batch_size"]},
                            {"learning_rate_multiplier", resolved["learning_rate_multiplier"]}};
    o["status"] = "queued";
    internal["examples"] = examples;
  });
  jobs_.add_event(id, "info", "Files validated, moving job to queued state");
}

void JobRunner::run(const std::string& id) {
  auto internal = jobs_.internal(id);
  auto job = *jobs_.get(id, std::nullopt);
  const auto dir = fs::path(options_.jobs_dir) / id;
  fs::create_directories(dir);
  const auto run_dir = (dir / "run").string(), log_path = (dir / "log.txt").string();
  RecipeCommand command;
  command.base_dir = internal.at("base_dir");
  command.training_file = files_.content_path(job["training_file"]);
  if (job["validation_file"].is_string())
    command.validation_file = files_.content_path(job["validation_file"]);
  command.run_dir = run_dir;
  command.method = job["method"];
  command.seed = job["seed"];
  command.examples = internal.value("examples", std::int64_t{0});
  command.operator_settings = options_.settings;
  const bool resumed = job["status"] == "running";
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = id;  // from here a cancel stops the process instead of changing the status
    cancel_running_ = false;
  }
  bool go = true;
  jobs_.update(id, [&](json& o, json& in) {
    if (finished(o["status"])) return void(go = false);  // cancelled while it waited
    o["status"] = "running";
    in["run_dir"] = run_dir;
    in["attempts"] = in.value("attempts", 0) + 1;
  });
  if (!go) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.clear();
    return;
  }
  if (!resumed) jobs_.add_event(id, "info", "Fine-tuning job started");
  ChildProcess child(options_.program, recipe_arguments(command), log_path);
  jobs_.update(id, [&](json&, json& in) { in["pid"] = child.pid(); });
  LineTail metrics((fs::path(run_dir) / "metrics.jsonl").string());
  recorded_checkpoints_.clear();
  std::optional<int> code;
  bool stopped = false, cancelled = false;
  while (!(code = child.poll())) {
    record_progress(id, metrics, run_dir);
    validate_waiting();
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(int(options_.poll_seconds * 1000)),
                   [&] { return stopping_ || cancel_running_.load(); });
    if (stopping_ || cancel_running_) {
      stopped = stopping_, cancelled = cancel_running_ && !stopping_;
      lock.unlock();
      code = child.terminate();
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.clear();
  }
  record_progress(id, metrics, run_dir);
  if (stopped) return;  // the job stays running; the next start resumes it
  if (cancelled) {
    jobs_.update(id,
                 [&](json& o, json&) {
                   o["status"] = "cancelled";
                   o["finished_at"] = unix_seconds();
                 },
                 {{"info", "Fine-tuning job cancelled"}});
    return;
  }
  finish(id, *code, run_dir, log_path);
}

void JobRunner::record_progress(const std::string& id, LineTail& metrics,
                                const std::string& run_dir) {
  auto internal = jobs_.internal(id);
  std::int64_t train_step = internal.value("events_step", std::int64_t{-1});
  std::int64_t eval_step = internal.value("events_eval_step", std::int64_t{-1});
  std::optional<json> trained_tokens;
  bool changed = false;
  for (const auto& line : metrics.new_lines()) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("step")) continue;
    const auto m = api_metrics(j);
    const std::int64_t step = m["step"];
    const bool eval = m.contains("valid_loss");
    if (m.contains("trained_tokens")) trained_tokens = m["trained_tokens"];
    auto& last = eval ? eval_step : train_step;
    if (step <= last) continue;  // recorded before the restart
    last = step;
    changed = true;
    jobs_.add_event(id, "info", metrics_message(m), m, "metrics");
  }
  const auto metrics_path = (fs::path(run_dir) / "metrics.jsonl").string();
  for (const auto step : checkpoint_steps(run_dir)) {
    if (!recorded_checkpoints_.insert(step).second) continue;  // this run saw it already
    // A checkpoint is rare: its metrics are read from the log then, not kept per step.
    json m = metrics_at_step(metrics_path, step);
    m.erase("total_steps");
    const auto key = std::to_string(step);
    const std::string model = internal.value("model_name", std::string()) + ":ckpt-step-" + key;
    if (jobs_.add_checkpoint(id, step, m, model))
      jobs_.add_event(id, "info", "Checkpoint created at step " + key, {{"step", step}});
  }
  if (!changed) return;
  jobs_.update(id, [&](json& o, json& in) {
    in["events_step"] = train_step;
    in["events_eval_step"] = eval_step;
    if (trained_tokens) o["trained_tokens"] = *trained_tokens;
  });
}

void JobRunner::finish(const std::string& id, int exit_code, const std::string& run_dir,
                       const std::string& log_path) {
  const auto final_dir = (fs::path(run_dir) / "final").string();
  if (exit_code != 0 || !fs::exists(fs::path(final_dir) / "config.json"))
    return fail(id, "training_failed", failure_reason(log_path, exit_code), "");
  const auto owner = jobs_.owner(id);
  const auto internal = jobs_.internal(id);
  const std::string model = internal.at("model_name");
  // The result file: what the run logged, as OpenAI's step_metrics.csv.
  auto staged = files_.stage();
  const auto csv = step_metrics_csv((fs::path(run_dir) / "metrics.jsonl").string());
  staged->write(csv.data(), csv.size());
  staged->finish();
  FileFacts facts;
  const auto result = files_.add(*staged, owner, "step_metrics.csv", "fine-tune-results", facts);
  // Served before it is announced: a client that sees "succeeded" can use the model at once.
  if (options_.on_model) options_.on_model({model, final_dir, owner, id});
  jobs_.update(id,
               [&](json& o, json& in) {
                 o["status"] = "succeeded";
                 o["fine_tuned_model"] = model;
                 o["finished_at"] = unix_seconds();
                 o["result_files"] = json::array({result["id"]});
                 in["model_dir"] = final_dir;
               },
               {{"info", "New fine-tuned model created: " + model},
                {"info", "The job has successfully completed"}});
}

void JobRunner::fail(const std::string& id, const std::string& code, const std::string& message,
                     const std::string& param) {
  jobs_.update(id,
               [&](json& o, json&) {
                 o["status"] = "failed";
                 o["finished_at"] = unix_seconds();
                 o["error"] = {{"code", code},
                               {"message", message},
                               {"param", param.empty() ? json(nullptr) : json(param)}};
               },
               {{"error", "Fine-tuning job failed: " + message}});
}

json JobRunner::cancel(const std::string& id) {
  auto job = *jobs_.get(id, std::nullopt);
  if (finished(job["status"]))
    throw std::invalid_argument("Job " + id + " has already " + job["status"].get<std::string>());
  bool running = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_ == id) {
      running = cancel_running_ = true;
      wake_.notify_all();
    }
  }
  if (!running) {
    bool now = false;
    job = jobs_.update(id, [&](json& o, json&) {
      if (finished(o["status"])) return;
      o["status"] = "cancelled";
      o["finished_at"] = unix_seconds();
      now = true;
    });
    if (now) jobs_.add_event(id, "info", "Fine-tuning job cancelled");
    return job;
  }
  // A running job: wait (briefly) until its process has stopped and the status says so.
  for (int i = 0; i < 200 && !finished(job["status"]); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    job = *jobs_.get(id, std::nullopt);
  }
  return job;
}

}  // namespace chosei
