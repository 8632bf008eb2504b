#include "tests/unit/test_data.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

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

std::string temp_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("chosei_test_" + std::to_string(::getpid())) / name;
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

}  // namespace chosei::test
