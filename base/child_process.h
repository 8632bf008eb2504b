#pragma once
// ChildProcess: a program running as its own process (its own process group, stdout and
// stderr appended to a log file, killed by the kernel if the thread that started it dies):
// a fine-tuning job's recipe, so that a crash in training never takes the server down and a
// killed server leaves no orphan training behind; a pipeline's stage, likewise.

#include <sys/types.h>
#include <optional>
#include <string>
#include <vector>

namespace chosei {

struct ChildOptions {
  std::string stdout_path;  // empty: stdout goes to the log with stderr
  std::string working_dir;  // empty: this process's
};

class ChildProcess {
 public:
  // Starts `program` with `args`; throws std::runtime_error naming the program when it
  // cannot be started.
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& log_path, const ChildOptions& options = {});
  ~ChildProcess();  // kills a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The exit status once it has ended (128 + signal when killed), without waiting.
  std::optional<int> poll();
  // SIGTERM to the group, then SIGKILL after `grace_seconds`; waits for the end.
  int terminate(double grace_seconds = 5);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Whether process `pid` is alive and its command line contains `needle` (a job's run
// directory), so a process a killed server started is told from an unrelated one that got
// the same pid.
bool process_matches(pid_t pid, const std::string& needle);
// SIGKILL to the process group of `pid`.
void kill_process_group(pid_t pid);

}  // namespace chosei
