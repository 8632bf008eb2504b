#pragma once
// IEEE half precision and bfloat16 from and to fp32, as ggml and PyTorch round them (to
// nearest, ties to even), shared by the GGUF files and the decode kernels.

#include <cstdint>
#include <cstring>

namespace chosei {

std::uint16_t fp32_to_fp16(float value);
float fp16_to_fp32(std::uint16_t half);

// bfloat16: the top 16 bits of an fp32, rounded to nearest even (NaN stays NaN), as
// torch's .to(torch::kBFloat16) does.
inline std::uint16_t fp32_to_bf16(float value) {
  std::uint32_t x;
  std::memcpy(&x, &value, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);
  return static_cast<std::uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

inline float bf16_to_fp32(std::uint16_t value) {
  const std::uint32_t x = static_cast<std::uint32_t>(value) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

}  // namespace chosei
