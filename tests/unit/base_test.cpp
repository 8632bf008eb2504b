// base/: the precision names, "auto" following the CPU's bf16 hardware, the thread count's
// order of precedence, and SHA-256 against the FIPS 180-4 example vectors.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "base/cpu_features.h"
#include "base/precision.h"
#include "base/sha256.h"
#include "base/thread_count.h"

namespace chosei {
namespace {

// FIPS 180-4 / NIST CSRC "SHA256.pdf" examples, and the one-million-'a' vector.
TEST(Sha256, NistVectorsWholeAndInPieces) {
  EXPECT_EQ(Sha256().hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256().update("abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(Sha256().update(two_blocks).hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 pieces;
  for (char c : two_blocks) pieces.update(&c, 1);
  EXPECT_EQ(pieces.hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 million;
  const std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.update(a);
  EXPECT_EQ(million.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

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
