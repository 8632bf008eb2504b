#include "base/cpu_features.h"

#include <cpuid.h>

namespace chosei {

bool cpu_has_avx512_bf16() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
  }();
  return has;
}

bool cpu_has_amx_bf16() {
  // CPUID.(EAX=7, ECX=0):EDX bit 22 (read directly: clang 14 has no "amx-bf16" name).
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & (1u << 22)) != 0;
  }();
  return has;
}

bool cpu_has_fast_bf16() { return cpu_has_avx512_bf16() || cpu_has_amx_bf16(); }

}  // namespace chosei
