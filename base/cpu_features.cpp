#include "base/cpu_features.h"

namespace chosei {

bool cpu_has_avx512_bf16() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
  }();
  return has;
}

bool cpu_has_amx_bf16() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("amx-bf16") != 0;
  }();
  return has;
}

bool cpu_has_fast_bf16() { return cpu_has_avx512_bf16() || cpu_has_amx_bf16(); }

}  // namespace chosei
