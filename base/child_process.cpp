#include "base/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

namespace chosei {

namespace {

int exit_code(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::string& log_path, const ChildOptions& options) {
  // Everything the child needs is made before fork: after it only async-signal-safe calls.
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) throw std::runtime_error(log_path + ": cannot open: " + std::strerror(errno));
  int out = log;
  if (!options.stdout_path.empty()) {
    out = ::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
      ::close(log);
      throw std::runtime_error(options.stdout_path + ": cannot open: " + std::strerror(errno));
    }
  }
  const char* dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log);
    if (out != log) ::close(out);
    throw std::runtime_error("cannot start " + program + ": " + std::strerror(errno));
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the server died before prctl
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the server blocks SIGTERM for sigwait
    const int null_in = ::open("/dev/null", O_RDONLY);
    ::dup2(null_in, 0);
    ::dup2(out, 1);
    ::dup2(log, 2);
    if (dir && ::chdir(dir) != 0) ::_exit(126);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(log);
  if (out != log) ::close(out);
  ::setpgid(pid_, pid_);  // also here: no race with a kill before the child ran setpgid
}

ChildProcess::~ChildProcess() {
  if (!status_ && pid_ > 0) terminate(0);
}

std::optional<int> ChildProcess::poll() {
  if (status_) return status_;
  int w = 0;
  const pid_t r = ::waitpid(pid_, &w, WNOHANG);
  if (r == pid_) status_ = exit_code(w);
  return status_;
}

int ChildProcess::terminate(double grace_seconds) {
  if (poll()) return *status_;
  ::kill(-pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int>(grace_seconds * 1000));
  while (std::chrono::steady_clock::now() < until) {
    if (poll()) return *status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pid_, SIGKILL);
  int w = 0;
  while (::waitpid(pid_, &w, 0) < 0 && errno == EINTR) {
  }
  status_ = exit_code(w);
  return *status_;
}

bool process_matches(pid_t pid, const std::string& needle) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  if (!in) return false;
  const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cmdline.find(needle) != std::string::npos;
}

void kill_process_group(pid_t pid) {
  if (pid > 0) ::kill(-pid, SIGKILL);
}

}  // namespace chosei
