#pragma once
// What this CPU's matrix units can do, read once (cpuid). Whether bf16 pays off depends on
// it: with AMX a bf16 matmul runs ~20x an fp32 one, with AVX512-BF16 ~2x, and without
// either LibTorch emulates bf16 (measured 22x slower than fp32 on an AVX2-only AMD EPYC).

namespace chosei {

bool cpu_has_avx512_bf16();  // AVX512-BF16 dot products (and AVX512BW)
bool cpu_has_amx_bf16();
// bf16 products run in hardware: AMX or AVX512-BF16.
bool cpu_has_fast_bf16();

}  // namespace chosei
