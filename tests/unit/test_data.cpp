#include "tests/unit/test_data.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "base/sha256.h"

namespace chosei::test {

namespace fs = std::filesystem;

std::string source_dir() { return CHOSEI_SOURCE_DIR; }

std::string data_dir() {
  const char* env = std::getenv("CHOSEI_TEST_DATA");
  fs::path p = env && *env ? fs::path(env) : fs::path(source_dir()) / ".." / "shared" / "data";
  return fs::is_directory(p) ? fs::canonical(p).string() : "";
}

std::string data_path(const std::string& relative) {
  auto dir = data_dir();
  if (dir.empty()) return "";
  auto p = fs::path(dir) / relative;
  return fs::exists(p) ? p.string() : "";
}

namespace {

constexpr const char* kTempPrefix = "chosei_test_";

// A test process's folder under the system temp dir, removed when the process exits: the
// real-model tests write gigabyte copies there, and CTest starts one process per test.
class ProcessTempRoot {
 public:
  ProcessTempRoot()
      : path_(fs::temp_directory_path() / (kTempPrefix + std::to_string(::getpid()))) {
    remove_stale_siblings();
  }
  ~ProcessTempRoot() {
    const char* keep = std::getenv("CHOSEI_KEEP_TEST_DIRS");
    std::error_code ignored;
    if (!(keep && *keep)) fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  // Folders of test processes that were killed (a CTest timeout) and never ran their
  // destructor: their process no longer exists.
  static void remove_stale_siblings() {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(fs::temp_directory_path(), error)) {
      const auto name = entry.path().filename().string();
      if (name.rfind(kTempPrefix, 0) != 0) continue;
      const auto pid = name.substr(std::char_traits<char>::length(kTempPrefix));
      if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::error_code ignored;
      if (!fs::exists(fs::path("/proc") / pid, ignored)) fs::remove_all(entry.path(), ignored);
    }
  }

  fs::path path_;
};

}  // namespace

std::string temp_dir(const std::string& name) {
  static const ProcessTempRoot root;
  auto p = root.path() / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

int run_command(const std::string& command, std::string* output) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return -1;
  char buf[4096];
  std::string out;
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  int status = pclose(pipe.release());
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string reference_python() {
  static const std::string python = [] {
    for (const char* p : {"/usr/bin/python3", "python3"})
      if (run_command(std::string(p) + " -c 'import torch, sentencepiece' 2>/dev/null") == 0)
        return std::string(p);
    return std::string();
  }();
  return python;
}

namespace {

std::string home_cache(const char* variable, const char* folder) {
  const char* env = std::getenv(variable);
  if (env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/chosei/" + folder;
}

}  // namespace

std::string reference_env_python() {
  const auto python = home_cache("CHOSEI_REFERENCE_ENV", "reference-env") + "/bin/python";
  return fs::exists(python) ? python : "";
}

std::string cached_reference_dir(const std::string& command, const std::vector<std::string>& inputs,
                                 std::string* log) {
  Sha256 key;
  key.update(command);
  for (const auto& input : inputs) key.update(sha256_file(input));
  const auto dir = fs::temp_directory_path() / "chosei_reference_cache" / key.hex().substr(0, 24);
  if (fs::exists(dir / ".complete")) return dir.string();
  // Built beside the final name and renamed, so a concurrent test never sees half of it.
  const auto staging = dir.string() + ".tmp" + std::to_string(::getpid());
  fs::remove_all(staging);
  fs::create_directories(staging);
  std::string out;
  if (run_command(command + " " + staging + " 2>&1", &out) != 0) {
    if (log) *log = out;
    fs::remove_all(staging);
    return "";
  }
  std::ofstream(fs::path(staging) / ".complete") << command << "\n";
  std::error_code ignored;
  fs::rename(staging, dir, ignored);  // another process may have won the race: keep theirs
  fs::remove_all(staging, ignored);
  return fs::exists(dir / ".complete") ? dir.string() : "";
}

std::string model_path(const std::string& relative) {
  const auto p = fs::path(home_cache("CHOSEI_MODELS", "models")) / relative;
  return fs::exists(p) ? p.string() : "";
}

}  // namespace chosei::test
