#pragma once
// ggml's 32-value block types (ggml-common.h): Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL.
//   Q4_0  {f16 d; u8 qs[16]}              x = d * (q - 8)
//   Q4_1  {f16 d, m; u8 qs[16]}           x = d * q + m
//   Q5_0  {f16 d; u8 qh[4]; u8 qs[16]}    x = d * (q - 16), q's fifth bit from qh
//   Q5_1  {f16 d, m; u8 qh[4]; u8 qs[16]} x = d * q + m
//   Q8_0  {f16 d; i8 qs[32]}              x = d * q
//   IQ4_NL {f16 d; u8 qs[16]}             x = d * kvalues[q] (a non-linear 16-value grid)
// In a 4-bit byte array, value j sits in the low nibble of byte j and value j + 16 in its
// high nibble. Quantizers follow the gguf package bit for bit (quants.py), which follows
// ggml-quants.c's quantize_row_*_ref.

#include <cstdint>

namespace chosei::ggml_blocks {

void dequantize_q4_0(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_q4_1(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_q5_0(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_q5_1(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_q8_0(const std::uint8_t* blocks, float* out, std::int64_t n);
void dequantize_iq4_nl(const std::uint8_t* blocks, float* out, std::int64_t n);

void quantize_q4_0(const float* x, std::uint8_t* blocks, std::int64_t n);
void quantize_q4_1(const float* x, std::uint8_t* blocks, std::int64_t n);
void quantize_q5_0(const float* x, std::uint8_t* blocks, std::int64_t n);
void quantize_q5_1(const float* x, std::uint8_t* blocks, std::int64_t n);
void quantize_q8_0(const float* x, std::uint8_t* blocks, std::int64_t n);

// IQ4_NL's grid (ggml-common.h kvalues_iq4nl), shared with IQ4_XS.
extern const std::int8_t kIq4NlValues[16];

}  // namespace chosei::ggml_blocks
