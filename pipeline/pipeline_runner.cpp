#include "pipeline/pipeline_runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <thread>

#include "base/child_process.h"
#include "pipeline/pipeline_report.h"
#include "pipeline/pipeline_state.h"
#include "pipeline/stage_fingerprint.h"

namespace fs = std::filesystem;

namespace chosei {

namespace {

bool trains(const std::vector<std::string>& c) {
  const auto& first = c.front();
  return first == "pretrain" || first == "sft" || first == "align" ||
         (first == "reward" && c.size() > 1 && c[1] == "train");
}

bool has_setting(const std::vector<std::string>& c, const std::string& key) {
  return std::any_of(c.begin(), c.end(),
                     [&](const std::string& a) { return a.rfind(key + "=", 0) == 0; });
}

// New bytes of a growing log, copied to the terminal as the stage writes them.
class LogEcho {
 public:
  LogEcho(std::string path, std::ostream* to) : path_(std::move(path)), to_(to) {}
  void pump() {
    if (!to_) return;
    std::ifstream in(path_, std::ios::binary);
    in.seekg(offset_);
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset_ += static_cast<std::streamoff>(chunk.size());
    *to_ << chunk << std::flush;
  }

 private:
  std::string path_;
  std::ostream* to_;
  std::streamoff offset_ = 0;
};

// Whether argument `arg` names `dir` or something in it (alone, as key=value, in a list).
bool names_path_in(const std::string& arg, const std::string& dir) {
  for (auto at = arg.find(dir); at != std::string::npos; at = arg.find(dir, at + 1)) {
    const auto end = at + dir.size();
    const bool starts = at == 0 || arg[at - 1] == '=' || arg[at - 1] == ',';
    const bool ends = end == arg.size() || arg[end] == '/' || arg[end] == ',';
    if (starts && ends) return true;
  }
  return false;
}

std::string last_lines(const std::string& path, std::size_t n) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > n) lines.pop_front();
  }
  std::string s;
  for (const auto& l : lines) s += "\n  " + l;
  return s;
}

std::string when(std::int64_t t) {
  const std::time_t tt = t;
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", std::localtime(&tt));
  return buf;
}

struct Runner {
  const PipelineFile& file;
  const PipelineRunOptions& o;
  PipelineState state;
  std::vector<StageOutcome> outcomes;
  std::size_t from = 0;
  std::vector<std::pair<std::string, std::string>> would_run;  // --dry-run: stage, directory

  Runner(const PipelineFile& f, const PipelineRunOptions& opts)
      : file(f), o(opts), state((fs::path(f.out) / "pipeline_state.json").string()) {
    if (!o.from.empty()) from = file.index_of(o.from);
  }

  void say(const std::string& line) {
    if (o.progress) *o.progress << line << "\n" << std::flush;
  }

  void report() {
    if (o.dry_run) return;
    auto all = outcomes;
    for (std::size_t i = all.size(); i < file.stages.size(); ++i)
      all.push_back(
          {file.stages[i].name, "not reached", "", stage_command(file, i), file.stage_dir(i)});
    write_pipeline_report(file, all);
  }

  void stage(std::size_t i) {
    StageOutcome out{file.stages[i].name, "", "", stage_command(file, i), file.stage_dir(i)};
    const auto prefix =
        "[" + std::to_string(i + 1) + "/" + std::to_string(file.stages.size()) + "] " + out.name;
    const auto record = state.get(out.name);
    for (const auto& [name, dir] : would_run)  // its inputs are not written yet
      if (std::any_of(out.command.begin(), out.command.end(),
                      [&](const std::string& a) { return names_path_in(a, dir); })) {
        out.action = "would run";
        out.reason = "it reads stage " + name + ", which runs first";
        would_run.emplace_back(out.name, out.dir);
        return finish(out, prefix);
      }
    const auto inputs = stage_inputs(out.command, out.dir, file.dir);
    const auto fingerprint = stage_fingerprint(out.command, inputs);
    const bool forced = !o.from.empty() && i >= from;
    if (!o.from.empty() && i < from) {
      if (record.succeeded.empty())
        throw std::runtime_error("stage " + out.name + " comes before --from " + o.from +
                                 " and has never succeeded; run the pipeline without --from first");
      out.action = o.dry_run ? "would skip" : "skipped";
      out.reason = "before --from " + o.from +
                   (record.succeeded == fingerprint ? "" : " (changed since its last success)");
      return finish(out, prefix);
    }
    if (!forced && record.succeeded == fingerprint && fs::exists(out.dir)) {
      out.action = o.dry_run ? "would skip" : "skipped";
      out.reason = "unchanged since its last success (" + when(record.finished_at) + ")";
      out.seconds = record.seconds;  // what that success took
      return finish(out, prefix);
    }
    out.reason = forced                          ? "--from " + o.from
                 : record.started.empty()        ? "first run"
                 : record.started == fingerprint ? "resuming an interrupted run"
                                                 : "its inputs or settings changed";
    if (o.dry_run) {
      out.action = "would run";
      would_run.emplace_back(out.name, out.dir);
      return finish(out, prefix);
    }
    execute(i, out, fingerprint, forced || record.started != fingerprint, prefix);
  }

  void execute(std::size_t i, StageOutcome& out, const std::string& fingerprint, bool fresh,
               const std::string& prefix) {
    if (fresh) fs::remove_all(out.dir);  // nothing of a run on other inputs is resumed
    fs::create_directories(out.dir);
    // From here the directory is being rewritten: its last success no longer describes it.
    state.set(out.name, {fingerprint, "", 0, 0});
    const auto log = stage_log(file, out.name);
    fs::create_directories(fs::path(log).parent_path());
    say(prefix + ": running (" + out.reason + "); log " + log);
    ChildOptions co;
    co.working_dir = file.dir;
    const auto& stdout_file = file.stages[i].stdout_file;
    if (!stdout_file.empty()) co.stdout_path = substitute(stdout_file, file, i);
    const auto start = std::chrono::steady_clock::now();
    ChildProcess child(o.program, out.command, log, co);
    LogEcho echo(log, o.echo_logs ? o.progress : nullptr);
    std::optional<int> code;
    while (!(code = child.poll())) {
      echo.pump();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    echo.pump();
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.exit_code = *code;
    if (*code != 0) {
      out.action = "failed";
      out.reason = "exit status " + std::to_string(*code);
      outcomes.push_back(out);
      report();
      throw std::runtime_error("stage " + out.name + " failed (exit status " +
                               std::to_string(*code) + "); log " + log + ":" + last_lines(log, 5));
    }
    state.set(out.name, {fingerprint, fingerprint, out.seconds,
                         static_cast<std::int64_t>(std::time(nullptr))});
    out.action = "ran";
    finish(out, prefix);
  }

  void finish(StageOutcome& out, const std::string& prefix) {
    if (out.action != "ran")
      say(prefix + ": " + out.action + " (" + out.reason + ")");
    else
      say(prefix + ": done in " + std::to_string(static_cast<int>(out.seconds + 0.5)) + " s");
    outcomes.push_back(out);
    report();
  }
};

}  // namespace

std::string stage_log(const PipelineFile& file, const std::string& stage) {
  return (fs::path(file.out) / "logs" / (stage + ".log")).string();
}

std::vector<std::string> stage_command(const PipelineFile& file, std::size_t stage) {
  std::vector<std::string> args;
  for (const auto& a : file.stages.at(stage).command) args.push_back(substitute(a, file, stage));
  if (trains(args) && !has_setting(args, "resume_from")) {
    args.push_back("--set");
    args.push_back("resume_from=auto");
  }
  return args;
}

std::vector<StageOutcome> run_pipeline(const PipelineFile& file,
                                       const PipelineRunOptions& options) {
  if (!options.dry_run) fs::create_directories(file.out);
  Runner r(file, options);
  for (std::size_t i = 0; i < file.stages.size(); ++i) r.stage(i);
  r.report();
  return r.outcomes;
}

}  // namespace chosei
