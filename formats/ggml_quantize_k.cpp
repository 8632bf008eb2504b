// K-quant quantizers as ggml-quants.c's reference ones (quantize_row_q{4,5,6}_K_ref, without
// an importance matrix): each sub-block's scale (and min) found by a small search that
// minimizes the weighted error, the scales quantized against the super-block's f16 scale,
// then every value rounded again against the scale it will be read with.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/half_float.h"
#include "formats/ggml_blocks_k.h"

namespace chosei::ggml_blocks {

namespace {

constexpr int kQk = 256;

// ggml's nearest_int: round half to even through the float mantissa (|x| < 2^22).
int nearest_int(float x) {
  float shifted = x + 12582912.0f;
  std::int32_t bits;
  std::memcpy(&bits, &shifted, 4);
  return (bits & 0x007fffff) - 0x00400000;
}

float half_round_trip(float v) { return fp16_to_fp32(fp32_to_fp16(v)); }

void put_half(std::uint8_t* p, float v) {
  const std::uint16_t h = fp32_to_fp16(v);
  p[0] = static_cast<std::uint8_t>(h & 0xff);
  p[1] = static_cast<std::uint8_t>(h >> 8);
}

// Asymmetric n-level quantization of x (q in [0, nmax], x ~ scale * q - min) whose scale and
// min minimize the weighted squared error over nstep + 1 trial scales (make_qkx2_quants).
float scale_and_min(int n, int nmax, const float* x, const float* w, std::uint8_t* L,
                    float* the_min, float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0], sum_w = w[0], sum_x = w[0] * x[0];
  for (int i = 1; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::fill(L, L + n, 0);
    *the_min = -min;
    return 0.0f;
  }
  float iscale = nmax / (max - min), scale = 1 / iscale, best = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = static_cast<std::uint8_t>(std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax));
    const float diff = scale * L[i] + min - x[i];
    best += w[i] * (diff * diff);
  }
  std::uint8_t trial[32];
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
      trial[i] = static_cast<std::uint8_t>(l);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D <= 0) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float error = 0;
    for (int i = 0; i < n; ++i) {
      const float diff = this_scale * trial[i] + this_min - x[i];
      error += w[i] * (diff * diff);
    }
    if (error < best) {
      std::copy(trial, trial + n, L);
      best = error;
      scale = this_scale;
      min = this_min;
    }
  }
  *the_min = -min;
  return scale;
}

// Q4_K / Q5_K's eight 6-bit scales and mins into 12 bytes (the inverse of the dequantizer's
// scales_and_mins).
void pack_scales(const std::uint8_t ls[8], const std::uint8_t lm[8], std::uint8_t* s) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      s[j] = ls[j];
      s[j + 4] = lm[j];
    } else {
      s[j + 4] = static_cast<std::uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      s[j - 4] |= static_cast<std::uint8_t>((ls[j] >> 4) << 6);
      s[j] |= static_cast<std::uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

// The shared part of Q4_K and Q5_K: levels L[256] in [0, nmax] and the 16 header bytes
// (d, dmin, scales) of one super-block.
void asymmetric_super_block(const float* x, int nmax, float rmin, int nstep, std::uint8_t* header,
                            std::uint8_t* L) {
  float scales[8], mins[8], weights[32], max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] =
        scale_and_min(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  std::uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = static_cast<std::uint8_t>(std::min(63, nearest_int(inv_scale * scales[j])));
    lm[j] = static_cast<std::uint8_t>(std::min(63, nearest_int(inv_min * mins[j])));
  }
  std::memset(header, 0, 16);
  put_half(header, max_scale / 63.0f);
  put_half(header + 2, max_min / 63.0f);
  pack_scales(ls, lm, header + 4);
  const float d = half_round_trip(max_scale / 63.0f), dmin = half_round_trip(max_min / 63.0f);
  for (int j = 0; j < 8; ++j) {
    const float dl = d * ls[j];
    if (dl == 0.0f) continue;
    const float ml = dmin * lm[j];
    for (int i = 0; i < 32; ++i)
      L[32 * j + i] =
          static_cast<std::uint8_t>(std::clamp(nearest_int((x[32 * j + i] + ml) / dl), 0, nmax));
  }
}

// Symmetric 6-bit quantization of 16 values (make_qx_quants with rmse_type 1): the scale
// maximizing sum(w x l)^2 / sum(w l^2), w = x^2, over 19 trial scales.
float symmetric_scale(const float* x, std::int8_t* L) {
  constexpr int nmax = 32, n = 16;
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  if (amax < 1e-15f) {
    std::fill(L, L + n, 0);
    return 0.0f;
  }
  auto levels = [&](float iscale, float& sumlx, float& suml2, bool store) {
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
      if (store) L[i] = static_cast<std::int8_t>(l + nmax);
    }
  };
  float sumlx, suml2;
  levels(-nmax / max, sumlx, suml2, true);
  float scale = suml2 ? sumlx / suml2 : 0.0f, best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    const float iscale = -(nmax + 0.1f * is) / max;
    levels(iscale, sumlx, suml2, false);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      levels(iscale, sumlx, suml2, true);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

}  // namespace

void quantize_q4_k(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, x += kQk, b += 144) {
    std::uint8_t L[kQk];
    asymmetric_super_block(x, 15, -1.0f, 20, b, L);
    std::uint8_t* q = b + 16;
    for (int j = 0; j < kQk; j += 64, q += 32)
      for (int l = 0; l < 32; ++l)
        q[l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 4));
  }
}

void quantize_q5_k(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, x += kQk, b += 176) {
    std::uint8_t L[kQk];
    asymmetric_super_block(x, 31, -0.5f, 15, b, L);
    std::uint8_t* qh = b + 16;
    std::uint8_t* ql = b + 48;
    std::memset(qh, 0, 32);
    std::uint8_t m1 = 1, m2 = 2;
    for (int j = 0; j < kQk; j += 64, ql += 32, m1 <<= 2, m2 <<= 2)
      for (int l = 0; l < 32; ++l) {
        int l1 = L[j + l], l2 = L[j + l + 32];
        if (l1 > 15) l1 -= 16, qh[l] |= m1;
        if (l2 > 15) l2 -= 16, qh[l] |= m2;
        ql[l] = static_cast<std::uint8_t>(l1 | (l2 << 4));
      }
  }
}

void quantize_q6_k(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n / kQk; ++i, x += kQk, b += 210) {
    std::int8_t L[kQk];
    float scales[16], max_scale = 0, max_abs = 0;
    for (int s = 0; s < 16; ++s) {
      scales[s] = symmetric_scale(x + 16 * s, L + 16 * s);
      if (std::fabs(scales[s]) > max_abs) {
        max_abs = std::fabs(scales[s]);
        max_scale = scales[s];
      }
    }
    std::memset(b, 0, 210);
    if (max_abs < 1e-15f) continue;
    const float iscale = -128.0f / max_scale;
    put_half(b + 208, 1 / iscale);
    auto* sc = reinterpret_cast<std::int8_t*>(b + 192);
    for (int s = 0; s < 16; ++s)
      sc[s] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[s])));
    const float d = half_round_trip(1 / iscale);
    for (int s = 0; s < 16; ++s) {
      const float dl = d * sc[s];
      if (dl == 0.0f) continue;
      for (int k = 0; k < 16; ++k)
        L[16 * s + k] =
            static_cast<std::int8_t>(std::clamp(nearest_int(x[16 * s + k] / dl), -32, 31) + 32);
    }
    std::uint8_t* ql = b;
    std::uint8_t* qh = b + 128;
    for (int j = 0; j < kQk; j += 128, ql += 64, qh += 32)
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
        ql[l] = static_cast<std::uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[l + 32] = static_cast<std::uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[l] = static_cast<std::uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) |
                                          ((q4 >> 4) << 6));
      }
  }
}

}  // namespace chosei::ggml_blocks
