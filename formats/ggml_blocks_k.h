#pragma once
// ggml's K-quants and IQ4_XS: super-blocks of 256 values in sub-blocks of 16 or 32, each
// sub-block with its own scale (and min), the scales themselves quantized against the
// super-block's f16 d (and dmin). Layouts (ggml-common.h):
//   Q2_K   {u8 scales[16] (4-bit scale | 4-bit min); u8 qs[64]; f16 d, dmin}   84 bytes
//   Q3_K   {u8 hmask[32]; u8 qs[64]; u8 scales[12] (6-bit); f16 d}           110 bytes
//   Q4_K   {f16 d, dmin; u8 scales[12] (6-bit scale and min); u8 qs[128]}    144 bytes
//   Q5_K   {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}               176 bytes
//   Q6_K   {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}                     210 bytes
//   IQ4_XS {f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]}                 136 bytes
// Dequantization follows the gguf package (quants.py) operation for operation.

#include <cstdint>

namespace chosei::ggml_blocks {

void dequantize_q2_k(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_q3_k(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_q4_k(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_q5_k(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_q6_k(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_iq4_xs(const std::uint8_t* blocks, float* out, std::int64_t n);

// ggml-quants.c's reference quantizers (no importance matrix), as llama-quantize writes
// Q4_K_M / Q5_K_M files without --imatrix.
void quantize_q4_k(const float* x, std::uint8_t* blocks, std::int64_t n);
void quantize_q5_k(const float* x, std::uint8_t* blocks, std::int64_t n);
void quantize_q6_k(const float* x, std::uint8_t* blocks, std::int64_t n);

}  // namespace chosei::ggml_blocks
