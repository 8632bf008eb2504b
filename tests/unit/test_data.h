#pragma once
// Where the tests find third-party golden data (../shared/data, or $CHOSEI_TEST_DATA) and
// the reference programs; GTEST_SKIP with a clear message when the data is absent.

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chosei::test {

// The shared data folder; "" when it does not exist.
std::string data_dir();
// `data_dir()/relative`, or "" when missing.
std::string data_path(const std::string& relative);
std::string source_dir();
// A fresh empty directory for this test, under the system temp dir in a folder of this
// process that is removed when it exits (kept with CHOSEI_KEEP_TEST_DIRS=1).
std::string temp_dir(const std::string& name);
// Runs a shell command; returns its exit status and fills `output` with stdout.
int run_command(const std::string& command, std::string* output = nullptr);
// Debian's Python with python3-torch (the numerical reference), "" if unavailable.
std::string reference_python();
// The reference environment's Python (PyTorch 2.13, transformers, gguf; scripts/setup):
// $CHOSEI_REFERENCE_ENV/bin/python, default ~/.cache/chosei/reference-env; "" if absent.
std::string reference_env_python();
// A directory that `command` (a shell command, given the directory as its last argument)
// filled once: kept under the system temp dir by the SHA-256 of the command and of the files
// it names in `inputs` (a reference script, a model file), so the many test processes
// CTest starts share one run of a slow reference. "" when the command fails (`log` says why).
std::string cached_reference_dir(const std::string& command, const std::vector<std::string>& inputs,
                                 std::string* log = nullptr);
// A file of the models cache ($CHOSEI_MODELS, default ~/.cache/chosei/models), "" if absent.
std::string model_path(const std::string& relative);

}  // namespace chosei::test

#define CHOSEI_REQUIRE_DATA(var, relative)                     \
  const std::string var = ::chosei::test::data_path(relative); \
  if (var.empty()) GTEST_SKIP() << "test data " << (relative) << " not found (set CHOSEI_TEST_DATA)"

#define CHOSEI_REQUIRE_REFERENCE_ENV(var)                         \
  const std::string var = ::chosei::test::reference_env_python(); \
  if (var.empty()) GTEST_SKIP() << "the reference environment is not installed (scripts/setup)"

#define CHOSEI_REQUIRE_MODEL(var, relative)                     \
  const std::string var = ::chosei::test::model_path(relative); \
  if (var.empty())                                              \
  GTEST_SKIP() << "models cache: " << (relative) << " not found (scripts/setup, CHOSEI_MODELS)"
