// K-quant super-blocks. Compiled with -ffp-contract=off: `d * q - m` is two roundings in
// the gguf package's numpy, and must not become one fused multiply-add here.

#include "formats/ggml_blocks_k.h"

#include "base/half_float.h"
#include "formats/ggml_blocks_legacy.h"

namespace chosei::ggml_blocks {

namespace {

constexpr int kQk = 256;

float half_at(const std::uint8_t* p) {
  return fp16_to_fp32(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
}

// Two bits of a 2-bit plane: values are laid out in groups of 128 (one per 32 bytes), each
// group four 32-value rows at shifts 0, 2, 4, 6.
int two_bits(const std::uint8_t* qs, int flat) {
  const int group = flat / 128, shift = (flat % 128) / 32, l = flat % 32;
  return (qs[group * 32 + l] >> (2 * shift)) & 3;
}

// One bit of a 32-byte mask plane: value s * 32 + l is bit s of byte l.
int mask_bit(const std::uint8_t* mask, int flat) { return (mask[flat % 32] >> (flat / 32)) & 1; }

// Four bits of a 128-byte plane: groups of 64 values, each the low then the high nibbles of
// 32 bytes.
int four_bits(const std::uint8_t* qs, int flat) {
  const int group = flat / 64, shift = (flat % 64) / 32, l = flat % 32;
  return (qs[group * 32 + l] >> (4 * shift)) & 0x0F;
}

// Q4_K / Q5_K's 12 bytes of 6-bit scales and mins for eight sub-blocks.
void scales_and_mins(const std::uint8_t* s, int sc[8], int m[8]) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 0x3F;
    m[j] = s[4 + j] & 0x3F;
    sc[4 + j] = (s[8 + j] & 0x0F) | ((s[j] >> 2) & 0x30);
    m[4 + j] = (s[8 + j] >> 4) | ((s[4 + j] >> 2) & 0x30);
  }
}

// Q3_K's 12 bytes of 6-bit signed scales for sixteen sub-blocks.
int q3_k_scale(const std::uint8_t* s, int k) {
  const int low = (s[k % 8] >> (4 * (k / 8))) & 0x0F;
  const int high = (s[8 + k % 4] >> (2 * (k / 4))) & 0x03;
  return static_cast<std::int8_t>(static_cast<std::uint8_t>(low | (high << 4))) - 32;
}

}  // namespace

void dequantize_q2_k(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, b += 84, out += kQk) {
    const std::uint8_t* scales = b;
    const std::uint8_t* qs = b + 16;
    const float d = half_at(b + 80), dmin = half_at(b + 82);
    for (int flat = 0; flat < kQk; ++flat) {
      const int sub = flat / 16;
      const float dl = d * static_cast<float>(scales[sub] & 0x0F);
      const float ml = dmin * static_cast<float>(scales[sub] >> 4);
      const float scaled = dl * static_cast<float>(two_bits(qs, flat));
      out[flat] = scaled - ml;
    }
  }
}

void dequantize_q3_k(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, b += 110, out += kQk) {
    const std::uint8_t* hmask = b;
    const std::uint8_t* qs = b + 32;
    const std::uint8_t* scales = b + 96;
    const float d = half_at(b + 108);
    for (int flat = 0; flat < kQk; ++flat) {
      const float dl = d * static_cast<float>(q3_k_scale(scales, flat / 16));
      // The high bit set means no offset; clear, the value is lowered by 4.
      const int q = two_bits(qs, flat) - ((mask_bit(hmask, flat) ^ 1) << 2);
      out[flat] = dl * static_cast<float>(q);
    }
  }
}

void dequantize_q4_k(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, b += 144, out += kQk) {
    const float d = half_at(b), dmin = half_at(b + 2);
    int sc[8], m[8];
    scales_and_mins(b + 4, sc, m);
    const std::uint8_t* qs = b + 16;
    for (int flat = 0; flat < kQk; ++flat) {
      const int sub = flat / 32;
      const float dl = d * static_cast<float>(sc[sub]);
      const float ml = dmin * static_cast<float>(m[sub]);
      const float scaled = dl * static_cast<float>(four_bits(qs, flat));
      out[flat] = scaled - ml;
    }
  }
}

void dequantize_q5_k(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, b += 176, out += kQk) {
    const float d = half_at(b), dmin = half_at(b + 2);
    int sc[8], m[8];
    scales_and_mins(b + 4, sc, m);
    const std::uint8_t* qh = b + 16;
    const std::uint8_t* qs = b + 48;
    for (int flat = 0; flat < kQk; ++flat) {
      const int sub = flat / 32;
      const float dl = d * static_cast<float>(sc[sub]);
      const float ml = dmin * static_cast<float>(m[sub]);
      const int q = four_bits(qs, flat) | (mask_bit(qh, flat) << 4);
      const float scaled = dl * static_cast<float>(q);
      out[flat] = scaled - ml;
    }
  }
}

void dequantize_q6_k(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, b += 210, out += kQk) {
    const std::uint8_t* ql = b;
    const std::uint8_t* qh = b + 128;
    const auto* scales = reinterpret_cast<const std::int8_t*>(b + 192);
    const float d = half_at(b + 208);
    for (int flat = 0; flat < kQk; ++flat) {
      // ql: groups of 128 values, each the low then the high nibbles of 64 bytes.
      const int group = flat / 128, shift = (flat % 128) / 64, l = flat % 64;
      const int low = (ql[group * 64 + l] >> (4 * shift)) & 0x0F;
      const int q = (low | (two_bits(qh, flat) << 4)) - 32;
      const float dl = d * static_cast<float>(scales[flat / 16]);
      out[flat] = dl * static_cast<float>(q);
    }
  }
}

void dequantize_iq4_xs(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, b += 136, out += kQk) {
    const float d = half_at(b);
    const int scales_h = b[2] | (b[3] << 8);
    const std::uint8_t* scales_l = b + 4;
    const std::uint8_t* qs = b + 8;
    for (int sub = 0; sub < 8; ++sub) {
      const int low = (scales_l[sub / 2] >> (4 * (sub % 2))) & 0x0F;
      const int high = (scales_h >> (2 * sub)) & 0x03;
      const float dl = d * static_cast<float>(static_cast<std::int8_t>(low | (high << 4)) - 32);
      for (int j = 0; j < 32; ++j) {
        const int q = (qs[sub * 16 + j % 16] >> (4 * (j / 16))) & 0x0F;
        out[sub * 32 + j] = dl * static_cast<float>(kIq4NlValues[q]);
      }
    }
  }
}

}  // namespace chosei::ggml_blocks
