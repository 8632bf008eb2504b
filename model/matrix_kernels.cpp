// AVX512 kernels instantiated per block shape (the accumulators stay in registers), with
// AVX2 ones (model/matrix_kernels_avx2.cpp) without AVX512, portable loops without either.

#include "model/matrix_kernels.h"

#include <immintrin.h>

#include "base/cpu_features.h"
#include "base/half_float.h"
#include "model/matrix_kernels_avx2.h"

namespace chosei {

namespace {

// GCC 12 reports its own masked-load intrinsics as maybe-uninitialized (a known false
// positive in avx512fintrin.h); the masked lanes are zeroed by definition.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

// Rows ahead to prefetch: the same columns of the next block of 4 rows. Rows are short
// (C of 64 to a few thousand), too short for the hardware prefetcher to ramp up on each,
// and decoding is bound by these reads (measured 8 GB/s of 24 without, one thread). A
// prefetch past the matrix's end is harmless (prefetches do not fault).
constexpr int kAhead = 32768;

template <int NR, int NI>
__attribute__((target("avx512f"))) void f32_block(const float* w, std::int64_t ldw, const float* x,
                                                  std::int64_t ldx, std::int64_t C, float* y,
                                                  std::int64_t ldy) {
  __m512 acc[NR][NI];
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) acc[r][i] = _mm512_setzero_ps();
  std::int64_t c = 0;
  for (; c + 16 <= C; c += 16) {
    __m512 xv[NI];
    for (int i = 0; i < NI; ++i) xv[i] = _mm512_loadu_ps(x + i * ldx + c);
    for (int r = 0; r < NR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + c) + kAhead, _MM_HINT_T1);
      const __m512 wv = _mm512_loadu_ps(w + r * ldw + c);
      for (int i = 0; i < NI; ++i) acc[r][i] = _mm512_fmadd_ps(wv, xv[i], acc[r][i]);
    }
  }
  if (c < C) {
    const __mmask16 m = static_cast<__mmask16>((1u << (C - c)) - 1);
    __m512 xv[NI];
    for (int i = 0; i < NI; ++i) xv[i] = _mm512_maskz_loadu_ps(m, x + i * ldx + c);
    for (int r = 0; r < NR; ++r) {
      const __m512 wv = _mm512_maskz_loadu_ps(m, w + r * ldw + c);
      for (int i = 0; i < NI; ++i) acc[r][i] = _mm512_fmadd_ps(wv, xv[i], acc[r][i]);
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) y[i * ldy + r] = _mm512_reduce_add_ps(acc[r][i]);
}

template <int NR, int NI>
__attribute__((target("avx512f,avx512bw,avx512bf16"))) void bf16_block(
    const std::uint16_t* w, std::int64_t ldw, const std::uint16_t* x, std::int64_t ldx,
    std::int64_t C, float* y, std::int64_t ldy) {
  __m512 acc[NR][NI];
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) acc[r][i] = _mm512_setzero_ps();
  std::int64_t c = 0;
  for (; c + 32 <= C; c += 32) {
    __m512bh xv[NI];
    for (int i = 0; i < NI; ++i) xv[i] = (__m512bh)_mm512_loadu_si512(x + i * ldx + c);
    for (int r = 0; r < NR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + c) + kAhead, _MM_HINT_T1);
      const __m512bh wv = (__m512bh)_mm512_loadu_si512(w + r * ldw + c);
      for (int i = 0; i < NI; ++i) acc[r][i] = _mm512_dpbf16_ps(acc[r][i], wv, xv[i]);
    }
  }
  if (c < C) {
    const __mmask32 m = static_cast<__mmask32>((1ull << (C - c)) - 1);
    __m512bh xv[NI];
    for (int i = 0; i < NI; ++i) xv[i] = (__m512bh)_mm512_maskz_loadu_epi16(m, x + i * ldx + c);
    for (int r = 0; r < NR; ++r) {
      const __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(m, w + r * ldw + c);
      for (int i = 0; i < NI; ++i) acc[r][i] = _mm512_dpbf16_ps(acc[r][i], wv, xv[i]);
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) y[i * ldy + r] = _mm512_reduce_add_ps(acc[r][i]);
}

template <int NR, int NI>
__attribute__((target("avx512f,avx512bw,f16c"))) void q8_0_block(
    const std::int8_t* wq, const std::uint16_t* wd, std::int64_t ldw, const std::int8_t* xq,
    const float* xd, std::int64_t ldx, std::int64_t C, float* y, std::int64_t ldy) {
  __m512 acc[NR][NI];
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) acc[r][i] = _mm512_setzero_ps();
  const std::int64_t blocks = C / 32, ldb = ldw / 32;
  for (std::int64_t b = 0; b < blocks; ++b) {
    __m512i xv[NI];
    for (int i = 0; i < NI; ++i)
      xv[i] = _mm512_cvtepi8_epi16(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + i * ldx + b * 32)));
    for (int r = 0; r < NR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(wq + r * ldw + b * 32) + kAhead, _MM_HINT_T1);
      const __m512i wv = _mm512_cvtepi8_epi16(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + r * ldw + b * 32)));
      const float dw = _cvtsh_ss(wd[r * ldb + b]);
      for (int i = 0; i < NI; ++i) {
        const __m512 sum = _mm512_cvtepi32_ps(_mm512_madd_epi16(wv, xv[i]));
        acc[r][i] = _mm512_fmadd_ps(sum, _mm512_set1_ps(dw * xd[i * (ldx / 32) + b]), acc[r][i]);
      }
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) y[i * ldy + r] = _mm512_reduce_add_ps(acc[r][i]);
}

// With AVX512-VNNI, one 256-bit block of 32 at a time as ggml's AVX2 path does: |w| times
// x with w's sign, four byte products summed per lane (vpdpbusd), then both scales. Values
// are in [-127, 127] (round(x / (max|x| / 127))), so the sign trick cannot overflow.
template <int NR, int NI>
__attribute__((target("avx512f,avx512vl,avx512vnni,avx2,fma,f16c"))) void q8_0_block_vnni(
    const std::int8_t* wq, const std::uint16_t* wd, std::int64_t ldw, const std::int8_t* xq,
    const float* xd, std::int64_t ldx, std::int64_t C, float* y, std::int64_t ldy) {
  __m256 acc[NR][NI];
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) acc[r][i] = _mm256_setzero_ps();
  const std::int64_t blocks = C / 32, ldb = ldw / 32;
  for (std::int64_t b = 0; b < blocks; ++b) {
    __m256i xv[NI];
    for (int i = 0; i < NI; ++i)
      xv[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + i * ldx + b * 32));
    for (int r = 0; r < NR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(wq + r * ldw + b * 32) + kAhead, _MM_HINT_T1);
      const __m256i wv =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + r * ldw + b * 32));
      const __m256i magnitude = _mm256_sign_epi8(wv, wv);
      const float dw = _cvtsh_ss(wd[r * ldb + b]);
      for (int i = 0; i < NI; ++i) {
        const __m256i dot =
            _mm256_dpbusd_epi32(_mm256_setzero_si256(), magnitude, _mm256_sign_epi8(xv[i], wv));
        acc[r][i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot),
                                    _mm256_set1_ps(dw * xd[i * (ldx / 32) + b]), acc[r][i]);
      }
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) {
      const __m128 half =
          _mm_add_ps(_mm256_castps256_ps128(acc[r][i]), _mm256_extractf128_ps(acc[r][i], 1));
      const __m128 pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
      y[i * ldy + r] = _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)));
    }
}

#pragma GCC diagnostic pop

// Function tables indexed [nr - 1][ni - 1].
#define CHOSEI_BLOCK_TABLE(name, kernel)                        \
  constexpr decltype(&kernel<1, 1>) name[4][4] = {              \
      {kernel<1, 1>, kernel<1, 2>, kernel<1, 3>, kernel<1, 4>}, \
      {kernel<2, 1>, kernel<2, 2>, kernel<2, 3>, kernel<2, 4>}, \
      {kernel<3, 1>, kernel<3, 2>, kernel<3, 3>, kernel<3, 4>}, \
      {kernel<4, 1>, kernel<4, 2>, kernel<4, 3>, kernel<4, 4>}};

CHOSEI_BLOCK_TABLE(kF32Blocks, f32_block)
CHOSEI_BLOCK_TABLE(kBf16Blocks, bf16_block)
CHOSEI_BLOCK_TABLE(kQ8_0Blocks, q8_0_block)
CHOSEI_BLOCK_TABLE(kQ8_0VnniBlocks, q8_0_block_vnni)
#undef CHOSEI_BLOCK_TABLE

bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return yes;
}

bool has_avx512_vnni() {
  static const bool yes =
      has_avx512() && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return yes;
}

}  // namespace

void dot_block_f32(const float* w, std::int64_t ldw, int nr, const float* x, std::int64_t ldx,
                   int ni, std::int64_t C, float* y, std::int64_t ldy) {
  if (has_avx512()) return kF32Blocks[nr - 1][ni - 1](w, ldw, x, ldx, C, y, ldy);
  if (avx2::usable()) return avx2::dot_block_f32(w, ldw, nr, x, ldx, ni, C, y, ldy);
  for (int i = 0; i < ni; ++i)
    for (int r = 0; r < nr; ++r) {
      float s = 0;
      for (std::int64_t c = 0; c < C; ++c) s += w[r * ldw + c] * x[i * ldx + c];
      y[i * ldy + r] = s;
    }
}

void dot_block_bf16(const std::uint16_t* w, std::int64_t ldw, int nr, const std::uint16_t* x,
                    std::int64_t ldx, int ni, std::int64_t C, float* y, std::int64_t ldy) {
  // One input (a decode step): the rows one after another, so the weights stream in address
  // order; read ~10% faster here than 4 rows interleaved (the f32 and q8_0 kernels measured
  // no better that way). Each (row, input) sum runs in the blocked kernel's order, so the
  // batch still does not change a row's logits.
  if (cpu_has_avx512_bf16() && ni == 1) {
    for (int r = 0; r < nr; ++r) kBf16Blocks[0][0](w + r * ldw, ldw, x, ldx, C, y + r, ldy);
    return;
  }
  if (cpu_has_avx512_bf16()) return kBf16Blocks[nr - 1][ni - 1](w, ldw, x, ldx, C, y, ldy);
  if (avx2::usable()) return avx2::dot_block_bf16(w, ldw, nr, x, ldx, ni, C, y, ldy);
  for (int i = 0; i < ni; ++i)
    for (int r = 0; r < nr; ++r) {
      float s = 0;
      for (std::int64_t c = 0; c < C; ++c)
        s += bf16_to_fp32(w[r * ldw + c]) * bf16_to_fp32(x[i * ldx + c]);
      y[i * ldy + r] = s;
    }
}

void dot_block_q8_0(const std::int8_t* wq, const std::uint16_t* wd, std::int64_t ldw, int nr,
                    const std::int8_t* xq, const float* xd, std::int64_t ldx, int ni,
                    std::int64_t C, float* y, std::int64_t ldy) {
  if (has_avx512_vnni())
    return kQ8_0VnniBlocks[nr - 1][ni - 1](wq, wd, ldw, xq, xd, ldx, C, y, ldy);
  if (has_avx512()) return kQ8_0Blocks[nr - 1][ni - 1](wq, wd, ldw, xq, xd, ldx, C, y, ldy);
  if (avx2::usable()) return avx2::dot_block_q8_0(wq, wd, ldw, nr, xq, xd, ldx, ni, C, y, ldy);
  for (int i = 0; i < ni; ++i)
    for (int r = 0; r < nr; ++r) {
      float s = 0;
      for (std::int64_t b = 0; b < C / 32; ++b) {
        std::int32_t dot = 0;
        for (std::int64_t j = 0; j < 32; ++j)
          dot += wq[r * ldw + b * 32 + j] * xq[i * ldx + b * 32 + j];
        s += static_cast<float>(dot) *
             (fp16_to_fp32(wd[r * (ldw / 32) + b]) * xd[i * (ldx / 32) + b]);
      }
      y[i * ldy + r] = s;
    }
}

namespace {
__attribute__((target("avx512f"))) float dot_avx512(const float* a, const float* b,
                                                    std::int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
  float s = _mm512_reduce_add_ps(acc);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

__attribute__((target("avx512f"))) void axpy_avx512(float a, const float* x, float* y,
                                                    std::int64_t n) {
  const __m512 av = _mm512_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}
}  // namespace

float dot_f32(const float* a, const float* b, std::int64_t n) {
  if (has_avx512()) return dot_avx512(a, b, n);
  if (avx2::usable()) return avx2::dot_f32(a, b, n);
  float s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy_f32(float a, const float* x, float* y, std::int64_t n) {
  if (has_avx512()) return axpy_avx512(a, x, y, n);
  if (avx2::usable()) return avx2::axpy_f32(a, x, y, n);
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

namespace {
__attribute__((target("avx512f"))) inline __m512 widen_16(const std::int8_t* q, __m512 scale) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)), scale);
}

__attribute__((target("avx512f,avx512bw,avx512bf16"))) void q8_0_to_bf16_avx512(
    const std::int8_t* q, const std::uint16_t* d, std::int64_t blocks, std::uint16_t* out) {
  for (std::int64_t b = 0; b < blocks; ++b) {
    const __m512 scale = _mm512_set1_ps(fp16_to_fp32(d[b]));
    const __m512 lo = widen_16(q + b * 32, scale), hi = widen_16(q + b * 32 + 16, scale);
    _mm512_storeu_si512(out + b * 32, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
  }
}
}  // namespace

void q8_0_to_bf16(const std::int8_t* q, const std::uint16_t* d, std::int64_t n,
                  std::uint16_t* out) {
  if (cpu_has_avx512_bf16()) return q8_0_to_bf16_avx512(q, d, n / 32, out);
  if (avx2::usable()) return avx2::q8_0_to_bf16(q, d, n, out);
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = fp32_to_bf16(static_cast<float>(q[i]) * fp16_to_fp32(d[i / 32]));
}

namespace {
__attribute__((target("avx512f"))) inline __m512 load_f16(const std::uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

__attribute__((target("avx512f"))) float dot_f16_avx512(const float* a, const std::uint16_t* b,
                                                        std::int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), load_f16(b + i), acc);
  float s = _mm512_reduce_add_ps(acc);
  for (; i < n; ++i) s += a[i] * fp16_to_fp32(b[i]);
  return s;
}

__attribute__((target("avx512f"))) void axpy_f16_avx512(float a, const std::uint16_t* x, float* y,
                                                        std::int64_t n) {
  const __m512 av = _mm512_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, load_f16(x + i), _mm512_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * fp16_to_fp32(x[i]);
}

__attribute__((target("avx512f"))) void widen_f16_avx512(const std::uint16_t* x, std::int64_t n,
                                                         float* out) {
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, load_f16(x + i));
  for (; i < n; ++i) out[i] = fp16_to_fp32(x[i]);
}
}  // namespace

float dot_f32_f16(const float* a, const std::uint16_t* b, std::int64_t n) {
  if (has_avx512()) return dot_f16_avx512(a, b, n);
  if (avx2::usable()) return avx2::dot_f32_f16(a, b, n);
  float s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += a[i] * fp16_to_fp32(b[i]);
  return s;
}

void axpy_f16(float a, const std::uint16_t* x, float* y, std::int64_t n) {
  if (has_avx512()) return axpy_f16_avx512(a, x, y, n);
  if (avx2::usable()) return avx2::axpy_f16(a, x, y, n);
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * fp16_to_fp32(x[i]);
}

void fp32_to_fp16_n(const float* x, std::int64_t n, std::uint16_t* out) {
  if (avx2::usable()) return avx2::fp32_to_fp16_n(x, n, out);
  for (std::int64_t i = 0; i < n; ++i) out[i] = fp32_to_fp16(x[i]);
}

void fp16_to_fp32_n(const std::uint16_t* x, std::int64_t n, float* out) {
  if (has_avx512()) return widen_f16_avx512(x, n, out);
  if (avx2::usable()) return avx2::fp16_to_fp32_n(x, n, out);
  for (std::int64_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(x[i]);
}

}  // namespace chosei
