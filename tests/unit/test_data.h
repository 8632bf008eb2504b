#pragma once
// Where the tests find third-party golden data (../shared/data, or $CHOSEI_TEST_DATA) and
// the reference programs; GTEST_SKIP with a clear message when the data is absent.

#include <gtest/gtest.h>

#include <string>

namespace chosei::test {

// The shared data folder; "" when it does not exist.
std::string data_dir();
// `data_dir()/relative`, or "" when missing.
std::string data_path(const std::string& relative);
std::string source_dir();
// A fresh empty directory under the build tree for this test.
std::string temp_dir(const std::string& name);
// Runs a shell command; returns its exit status and fills `output` with stdout.
int run_command(const std::string& command, std::string* output = nullptr);
// Debian's Python with python3-torch (the numerical reference), "" if unavailable.
std::string reference_python();

}  // namespace chosei::test

#define CHOSEI_REQUIRE_DATA(var, relative)                     \
  const std::string var = ::chosei::test::data_path(relative); \
  if (var.empty()) GTEST_SKIP() << "test data " << (relative) << " not found (set CHOSEI_TEST_DATA)"
