#pragma once
// The inner products of the decode engine (model/decode_engine.h), without LibTorch:
// blocks of up to 4 weight rows against up to 4 input rows, so that one pass over the
// weights (the bytes that bound decoding) serves up to 4 sequences of a batch, and one
// load of an input serves 4 weight rows.
//
// Every (weight row, input row) sum runs in one fixed order whatever the block's shape,
// so a sequence's logits do not depend on which other sequences share its batch.
// AVX512 kernels where the CPU has them (bf16 needs AVX512-BF16), else AVX2 ones
// (model/matrix_kernels_avx2.h), plain loops on CPUs with neither.

#include <cstdint>

namespace chosei {

// y[i * ldy + r] = sum_c w[r * ldw + c] * x[i * ldx + c], r < nr <= 4, i < ni <= 4.
void dot_block_f32(const float* w, std::int64_t ldw, int nr, const float* x, std::int64_t ldx,
                   int ni, std::int64_t C, float* y, std::int64_t ldy);
// bf16 weights and inputs (raw bfloat16 bits), products accumulated in fp32.
void dot_block_bf16(const std::uint16_t* w, std::int64_t ldw, int nr, const std::uint16_t* x,
                    std::int64_t ldx, int ni, std::int64_t C, float* y, std::int64_t ldy);
// Q8_0 weights (int8 values `wq`, fp16 scales `wd`, C / 32 per row) against Q8_0 inputs
// (int8 values `xq`, fp32 scales `xd`): per block of 32, the integer dot product
// times both scales (ggml's vec_dot_q8_0_q8_0). C is a multiple of 32.
void dot_block_q8_0(const std::int8_t* wq, const std::uint16_t* wd, std::int64_t ldw, int nr,
                    const std::int8_t* xq, const float* xd, std::int64_t ldx, int ni,
                    std::int64_t C, float* y, std::int64_t ldy);

// Q8_0 values (n of them, n a multiple of 32) and their fp16 scales as bf16: each value
// times its block's scale (exact in fp32), rounded to nearest even.
void q8_0_to_bf16(const std::int8_t* q, const std::uint16_t* d, std::int64_t n, std::uint16_t* out);

// sum_i a[i] * b[i]
float dot_f32(const float* a, const float* b, std::int64_t n);
// y[i] += a * x[i]
void axpy_f32(float a, const float* x, float* y, std::int64_t n);
// The same with b / x fp16 (raw bits; an f16 KV cache's keys and values).
float dot_f32_f16(const float* a, const std::uint16_t* b, std::int64_t n);
void axpy_f16(float a, const std::uint16_t* x, float* y, std::int64_t n);
// fp32 to fp16 bits (round to nearest even) and back, n values.
void fp32_to_fp16_n(const float* x, std::int64_t n, std::uint16_t* out);
void fp16_to_fp32_n(const std::uint16_t* x, std::int64_t n, float* out);

}  // namespace chosei
