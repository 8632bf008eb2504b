// base/: the precision names, "auto" following the CPU's bf16 hardware, and the thread
// count's order of precedence.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "base/cpu_features.h"
#include "base/precision.h"
#include "base/thread_count.h"

namespace chosei {
namespace {

TEST(Precision, AutoIsBf16ExactlyWhereTheCpuHasBf16Hardware) {
  EXPECT_EQ(parse_precision("fp32"), Precision::kFP32);
  EXPECT_EQ(parse_precision("bf16"), Precision::kBF16);
  // Against the kernel's own reading of the CPU: /proc/cpuinfo's flags.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(cpuinfo, line))
    if (line.rfind("flags", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags here";
  auto has = [&](const char* f) {
    return flags.find(std::string(" ") + f + " ") != std::string::npos;
  };
  EXPECT_EQ(cpu_has_avx512_bf16(), has("avx512_bf16") && has("avx512bw"));
  EXPECT_EQ(cpu_has_amx_bf16(), has("amx_bf16"));
  try {
    parse_precision("fp8");
    FAIL() << "fp8 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("fp32, bf16 or auto"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_precision("auto"),
            cpu_has_avx512_bf16() || cpu_has_amx_bf16() ? Precision::kBF16 : Precision::kFP32);
}

TEST(ThreadCount, FlagThenOmpNumThreadsThenEveryCore) {
  const char* saved = std::getenv("OMP_NUM_THREADS");
  const std::string keep = saved ? saved : "";
  setenv("OMP_NUM_THREADS", "3", 1);
  EXPECT_EQ(resolve_thread_count(5), 5);
  EXPECT_EQ(resolve_thread_count(0), 3);
  unsetenv("OMP_NUM_THREADS");
  EXPECT_GE(resolve_thread_count(0), 1);
  if (saved) setenv("OMP_NUM_THREADS", keep.c_str(), 1);
}

}  // namespace
}  // namespace chosei
