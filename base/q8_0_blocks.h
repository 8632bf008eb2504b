#pragma once
// Q8_0, ggml's 8-bit weight format: blocks of 32 values along a row, each one fp16 scale
// d = max|x| / 127 and 32 int8 q = round(x / d) (ggml-quants.c quantize_row_q8_0_ref), so
// x ≈ d * q. One definition for the GGUF files (formats/) and the decode kernels (model/).

#include <cstdint>

namespace chosei {

inline constexpr std::int64_t kQ8_0Block = 32;

// n values (a multiple of 32) -> n / 32 fp16 scales and n int8 values.
void quantize_q8_0(const float* x, std::int64_t n, std::uint16_t* scales, std::int8_t* qs);
// The inverse: out[i] = fp16_to_fp32(scales[i / 32]) * qs[i].
void dequantize_q8_0(const std::uint16_t* scales, const std::int8_t* qs, std::int64_t n,
                     float* out);

}  // namespace chosei
