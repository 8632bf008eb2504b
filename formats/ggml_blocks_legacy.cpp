// The 32-value block types. Each float operation stands alone (this file is compiled with
// -ffp-contract=off): the gguf package computes in numpy float32 one operation at a time,
// and a fused multiply-add would round differently.

#include "formats/ggml_blocks_legacy.h"

#include <cmath>
#include <cstring>

#include "base/half_float.h"
#include "base/q8_0_blocks.h"

namespace chosei::ggml_blocks {

const std::int8_t kIq4NlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};

namespace {

constexpr std::int64_t kBlock = 32;

float half_at(const std::uint8_t* p) {
  return fp16_to_fp32(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
}

void put_half(std::uint8_t* p, float v) {
  const std::uint16_t h = fp32_to_fp16(v);
  p[0] = static_cast<std::uint8_t>(h & 0xff);
  p[1] = static_cast<std::uint8_t>(h >> 8);
}

// Value j of a 4-bit array: byte j's low nibble for j < 16, byte j - 16's high nibble after.
int nibble(const std::uint8_t* qs, int j) { return j < 16 ? qs[j] & 0x0F : qs[j - 16] >> 4; }

int fifth_bit(const std::uint8_t* qh, int j) {
  std::uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return static_cast<int>((bits >> j) & 1u);
}

void pack_nibbles(const std::uint8_t* q, std::uint8_t* qs) {
  for (int j = 0; j < 16; ++j)
    qs[j] = static_cast<std::uint8_t>((q[j] & 0x0F) | ((q[j + 16] << 4) & 0xF0));
}

void pack_fifth_bits(const std::uint8_t* q, std::uint8_t* qh) {
  std::uint32_t bits = 0;
  for (int j = 0; j < 32; ++j) bits |= static_cast<std::uint32_t>((q[j] >> 4) & 1) << j;
  std::memcpy(qh, &bits, 4);
}

// The value of largest magnitude, with its sign (the first one on a tie).
float signed_absmax(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kBlock; ++j)
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  return max;
}

float inverse(float d) { return d == 0.0f ? 0.0f : 1.0f / d; }

// q = trunc(v + offset), clipped to [0, top]; the sums are rounded to float first.
std::uint8_t truncated(float v, float offset, int top) {
  const float t = std::trunc(v + offset);
  const int q = t < 0.0f ? 0 : static_cast<int>(t);
  return static_cast<std::uint8_t>(q > top ? top : q);
}

void min_max(const float* x, float& min, float& max) {
  min = max = x[0];
  for (int j = 1; j < kBlock; ++j) {
    min = std::fmin(min, x[j]);
    max = std::fmax(max, x[j]);
  }
}

}  // namespace

void dequantize_q4_0(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, b += 18, out += kBlock) {
    const float d = half_at(b);
    for (int j = 0; j < kBlock; ++j) out[j] = d * static_cast<float>(nibble(b + 2, j) - 8);
  }
}

void dequantize_q4_1(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, b += 20, out += kBlock) {
    const float d = half_at(b), m = half_at(b + 2);
    for (int j = 0; j < kBlock; ++j) {
      const float scaled = d * static_cast<float>(nibble(b + 4, j));
      out[j] = scaled + m;
    }
  }
}

void dequantize_q5_0(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, b += 22, out += kBlock) {
    const float d = half_at(b);
    for (int j = 0; j < kBlock; ++j) {
      const int q = nibble(b + 6, j) | (fifth_bit(b + 2, j) << 4);
      out[j] = d * static_cast<float>(q - 16);
    }
  }
}

void dequantize_q5_1(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, b += 24, out += kBlock) {
    const float d = half_at(b), m = half_at(b + 2);
    for (int j = 0; j < kBlock; ++j) {
      const int q = nibble(b + 8, j) | (fifth_bit(b + 4, j) << 4);
      const float scaled = d * static_cast<float>(q);
      out[j] = scaled + m;
    }
  }
}

void dequantize_q8_0(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, b += 34, out += kBlock) {
    const float d = half_at(b);
    for (int j = 0; j < kBlock; ++j)
      out[j] = static_cast<float>(static_cast<std::int8_t>(b[2 + j])) * d;
  }
}

void dequantize_iq4_nl(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, b += 18, out += kBlock) {
    const float d = half_at(b);
    for (int j = 0; j < kBlock; ++j)
      out[j] = d * static_cast<float>(kIq4NlValues[nibble(b + 2, j)]);
  }
}

void quantize_q4_0(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, x += kBlock, b += 18) {
    const float d = signed_absmax(x) / -8.0f;
    const float id = inverse(d);
    std::uint8_t q[kBlock];
    for (int j = 0; j < kBlock; ++j) q[j] = truncated(x[j] * id, 8.5f, 15);
    put_half(b, d);
    pack_nibbles(q, b + 2);
  }
}

void quantize_q4_1(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, x += kBlock, b += 20) {
    float min, max;
    min_max(x, min, max);
    const float d = (max - min) / 15.0f;
    const float id = inverse(d);
    std::uint8_t q[kBlock];
    for (int j = 0; j < kBlock; ++j) q[j] = truncated((x[j] - min) * id, 0.5f, 15);
    put_half(b, d);
    put_half(b + 2, min);
    pack_nibbles(q, b + 4);
  }
}

void quantize_q5_0(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, x += kBlock, b += 22) {
    const float d = signed_absmax(x) / -16.0f;
    const float id = inverse(d);
    std::uint8_t q[kBlock];
    for (int j = 0; j < kBlock; ++j) q[j] = truncated(x[j] * id, 16.5f, 31);
    put_half(b, d);
    pack_fifth_bits(q, b + 2);
    pack_nibbles(q, b + 6);
  }
}

void quantize_q5_1(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, x += kBlock, b += 24) {
    float min, max;
    min_max(x, min, max);
    const float d = (max - min) / 31.0f;
    const float id = inverse(d);
    std::uint8_t q[kBlock];
    for (int j = 0; j < kBlock; ++j) q[j] = truncated((x[j] - min) * id, 0.5f, 31);
    put_half(b, d);
    put_half(b + 2, min);
    pack_fifth_bits(q, b + 4);
    pack_nibbles(q, b + 8);
  }
}

void quantize_q8_0(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kBlock; ++i, x += kBlock, b += 34) {
    std::uint16_t scale;
    chosei::quantize_q8_0(x, kBlock, &scale, reinterpret_cast<std::int8_t*>(b + 2));
    b[0] = static_cast<std::uint8_t>(scale & 0xff);
    b[1] = static_cast<std::uint8_t>(scale >> 8);
  }
}

}  // namespace chosei::ggml_blocks
