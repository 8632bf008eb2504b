#pragma once
// The decode engine's inner products for CPUs with AVX2 and FMA but no AVX512 (AMD Zen 1-3,
// Intel before Skylake-SP, many cloud VMs, CI): the contracts of model/matrix_kernels.h,
// which dispatches here. Declared apart so tests can check these kernels on AVX512
// machines too, where the dispatcher never picks them.

#include <cstdint>

namespace chosei::avx2 {

// AVX2, FMA and F16C all present (what every kernel below needs).
bool usable();

void dot_block_f32(const float* w, std::int64_t ldw, int nr, const float* x, std::int64_t ldx,
                   int ni, std::int64_t C, float* y, std::int64_t ldy);
void dot_block_bf16(const std::uint16_t* w, std::int64_t ldw, int nr, const std::uint16_t* x,
                    std::int64_t ldx, int ni, std::int64_t C, float* y, std::int64_t ldy);
// Values in [-127, 127], as quantize_q8_0 writes them (the sign trick needs -128 absent).
void dot_block_q8_0(const std::int8_t* wq, const std::uint16_t* wd, std::int64_t ldw, int nr,
                    const std::int8_t* xq, const float* xd, std::int64_t ldx, int ni,
                    std::int64_t C, float* y, std::int64_t ldy);
void q8_0_to_bf16(const std::int8_t* q, const std::uint16_t* d, std::int64_t n, std::uint16_t* out);

float dot_f32(const float* a, const float* b, std::int64_t n);
void axpy_f32(float a, const float* x, float* y, std::int64_t n);
float dot_f32_f16(const float* a, const std::uint16_t* b, std::int64_t n);
void axpy_f16(float a, const std::uint16_t* x, float* y, std::int64_t n);
void fp16_to_fp32_n(const std::uint16_t* x, std::int64_t n, float* out);
void fp32_to_fp16_n(const float* x, std::int64_t n, std::uint16_t* out);

}  // namespace chosei::avx2
