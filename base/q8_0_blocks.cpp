// Q8_0 blocks exactly as ggml's reference quantizer computes them.

#include "base/q8_0_blocks.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "base/half_float.h"

namespace chosei {

void quantize_q8_0(const float* x, std::int64_t n, std::uint16_t* scales, std::int8_t* qs) {
  if (n % kQ8_0Block != 0)
    throw std::invalid_argument("Q8_0 needs a multiple of 32 values, got " + std::to_string(n));
  for (std::int64_t b = 0; b < n / kQ8_0Block; ++b) {
    const float* v = x + b * kQ8_0Block;
    float amax = 0.0f;
    for (std::int64_t j = 0; j < kQ8_0Block; ++j) amax = std::max(amax, std::fabs(v[j]));
    const float d = amax / 127.0f;
    // ggml multiplies by the inverse of the unrounded scale, then stores the scale in fp16.
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    scales[b] = fp32_to_fp16(d);
    for (std::int64_t j = 0; j < kQ8_0Block; ++j)
      qs[b * kQ8_0Block + j] = static_cast<std::int8_t>(std::roundf(v[j] * id));
  }
}

void dequantize_q8_0(const std::uint16_t* scales, const std::int8_t* qs, std::int64_t n,
                     float* out) {
  for (std::int64_t b = 0; b < n / kQ8_0Block; ++b) {
    const float d = fp16_to_fp32(scales[b]);
    for (std::int64_t j = b * kQ8_0Block; j < (b + 1) * kQ8_0Block; ++j)
      out[j] = d * static_cast<float>(qs[j]);
  }
}

}  // namespace chosei
