// Half-precision conversion and Q8_0 blocks.

#include "formats/gguf_quantize.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace chosei {

std::uint16_t fp32_to_fp16(float value) {
  std::uint32_t x;
  std::memcpy(&x, &value, 4);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u);   // NaN
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // overflow: inf
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): shift the 24-bit significand, rounding to nearest even.
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);
    const std::uint32_t exponent = abs >> 23;
    const std::uint32_t significand = (abs & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - exponent;
    std::uint32_t half = significand >> shift;
    const std::uint32_t rest = significand & ((1u << shift) - 1);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = ((abs >> 13) - (112u << 10));
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into inf: right
  return static_cast<std::uint16_t>(sign | half);
}

float fp16_to_fp32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t significand = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (significand << 13);
  } else if (exponent == 0) {
    if (significand == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      exponent = 113;
      while (!(significand & 0x400u)) significand <<= 1, --exponent;
      bits = sign | (exponent << 23) | ((significand & 0x3ffu) << 13);
    }
  } else {
    bits = sign | ((exponent + 112) << 23) | (significand << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

std::string encode_q8_0(const std::vector<float>& values) {
  const auto n = static_cast<std::int64_t>(values.size());
  if (n % kQ8_0BlockSize != 0)
    throw std::invalid_argument("Q8_0 needs a multiple of 32 values, got " + std::to_string(n));
  std::string out;
  out.reserve(static_cast<std::size_t>(n / kQ8_0BlockSize * kQ8_0BlockBytes));
  for (std::int64_t b = 0; b < n; b += kQ8_0BlockSize) {
    float amax = 0.0f;
    for (std::int64_t j = 0; j < kQ8_0BlockSize; ++j)
      amax = std::max(amax, std::fabs(values[b + j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put_u16(out, fp32_to_fp16(d));
    for (std::int64_t j = 0; j < kQ8_0BlockSize; ++j)
      out.push_back(static_cast<char>(static_cast<std::int8_t>(std::roundf(values[b + j] * id))));
  }
  return out;
}

}  // namespace

std::string encode_ggml(const std::vector<float>& values, GgmlType type) {
  std::string out;
  switch (type) {
    case GgmlType::F32:
      out.resize(values.size() * 4);
      std::memcpy(out.data(), values.data(), out.size());
      return out;
    case GgmlType::F16:
      out.reserve(values.size() * 2);
      for (float v : values) put_u16(out, fp32_to_fp16(v));
      return out;
    case GgmlType::Q8_0:
      return encode_q8_0(values);
  }
  throw std::invalid_argument("unknown ggml type");
}

std::vector<float> decode_ggml(const std::uint8_t* bytes, std::int64_t elements, GgmlType type) {
  std::vector<float> out(static_cast<std::size_t>(elements));
  auto u16_at = [&](std::size_t offset) {
    return static_cast<std::uint16_t>(bytes[offset] | (bytes[offset + 1] << 8));
  };
  switch (type) {
    case GgmlType::F32:
      std::memcpy(out.data(), bytes, out.size() * 4);
      return out;
    case GgmlType::F16:
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = fp16_to_fp32(u16_at(2 * i));
      return out;
    case GgmlType::Q8_0:
      if (elements % kQ8_0BlockSize != 0)
        throw std::invalid_argument("Q8_0 tensor of " + std::to_string(elements) +
                                    " values (not a multiple of 32)");
      for (std::int64_t b = 0; b < elements / kQ8_0BlockSize; ++b) {
        const std::size_t at = static_cast<std::size_t>(b * kQ8_0BlockBytes);
        const float d = fp16_to_fp32(u16_at(at));
        for (std::int64_t j = 0; j < kQ8_0BlockSize; ++j)
          out[static_cast<std::size_t>(b * kQ8_0BlockSize + j)] =
              d * static_cast<float>(static_cast<std::int8_t>(bytes[at + 2 + j]));
      }
      return out;
  }
  throw std::invalid_argument("unknown ggml type");
}

}  // namespace chosei
