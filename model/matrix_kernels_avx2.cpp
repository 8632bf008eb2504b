// AVX2 kernels instantiated per block shape, as the AVX512 ones are: every (weight row,
// input row) sum keeps its own accumulator and runs in one order whatever the block's
// shape, so batching does not change a sequence's logits. Tails shorter than a vector go
// through masked loads (zeros past the end), never a scalar loop with another order.

#include "model/matrix_kernels_avx2.h"

#include <immintrin.h>

#include "base/half_float.h"

#define CHOSEI_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace chosei::avx2 {

namespace {

// The same lookahead as the AVX512 kernels: rows too short for the hardware prefetcher.
constexpr int kAhead = 32768;

CHOSEI_AVX2 inline float sum8(__m256 v) {
  const __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)));
}

// Lanes [0, n) set, n < 8.
CHOSEI_AVX2 inline __m256i first_lanes(std::int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// 8 bf16 values as fp32: each the top half of its fp32.
CHOSEI_AVX2 inline __m256 widen_bf16(__m128i v) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16));
}

// The first n < 8 bf16 values, zeros after them.
CHOSEI_AVX2 inline __m128i load_bf16_tail(const std::uint16_t* p, std::int64_t n) {
  alignas(16) std::uint16_t buffer[8] = {};
  for (std::int64_t i = 0; i < n; ++i) buffer[i] = p[i];
  return _mm_load_si128(reinterpret_cast<const __m128i*>(buffer));
}

template <int NR, int NI>
CHOSEI_AVX2 void f32_block(const float* w, std::int64_t ldw, const float* x, std::int64_t ldx,
                           std::int64_t C, float* y, std::int64_t ldy) {
  __m256 acc[NR][NI];
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) acc[r][i] = _mm256_setzero_ps();
  std::int64_t c = 0;
  for (; c + 8 <= C; c += 8) {
    __m256 xv[NI];
    for (int i = 0; i < NI; ++i) xv[i] = _mm256_loadu_ps(x + i * ldx + c);
    for (int r = 0; r < NR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + c) + kAhead, _MM_HINT_T1);
      const __m256 wv = _mm256_loadu_ps(w + r * ldw + c);
      for (int i = 0; i < NI; ++i) acc[r][i] = _mm256_fmadd_ps(wv, xv[i], acc[r][i]);
    }
  }
  if (c < C) {
    const __m256i m = first_lanes(C - c);
    __m256 xv[NI];
    for (int i = 0; i < NI; ++i) xv[i] = _mm256_maskload_ps(x + i * ldx + c, m);
    for (int r = 0; r < NR; ++r) {
      const __m256 wv = _mm256_maskload_ps(w + r * ldw + c, m);
      for (int i = 0; i < NI; ++i) acc[r][i] = _mm256_fmadd_ps(wv, xv[i], acc[r][i]);
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) y[i * ldy + r] = sum8(acc[r][i]);
}

template <int NR, int NI>
CHOSEI_AVX2 void bf16_block(const std::uint16_t* w, std::int64_t ldw, const std::uint16_t* x,
                            std::int64_t ldx, std::int64_t C, float* y, std::int64_t ldy) {
  __m256 acc[NR][NI];
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) acc[r][i] = _mm256_setzero_ps();
  std::int64_t c = 0;
  for (; c + 8 <= C; c += 8) {
    __m256 xv[NI];
    for (int i = 0; i < NI; ++i)
      xv[i] = widen_bf16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i * ldx + c)));
    for (int r = 0; r < NR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + c) + kAhead, _MM_HINT_T1);
      const __m256 wv =
          widen_bf16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + r * ldw + c)));
      for (int i = 0; i < NI; ++i) acc[r][i] = _mm256_fmadd_ps(wv, xv[i], acc[r][i]);
    }
  }
  if (c < C) {
    __m256 xv[NI];
    for (int i = 0; i < NI; ++i) xv[i] = widen_bf16(load_bf16_tail(x + i * ldx + c, C - c));
    for (int r = 0; r < NR; ++r) {
      const __m256 wv = widen_bf16(load_bf16_tail(w + r * ldw + c, C - c));
      for (int i = 0; i < NI; ++i) acc[r][i] = _mm256_fmadd_ps(wv, xv[i], acc[r][i]);
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) y[i * ldy + r] = sum8(acc[r][i]);
}

// ggml's AVX2 vec_dot_q8_0_q8_0 per block of 32: |w| (unsigned) times x with w's sign,
// byte pairs summed to int16 (at most 2 * 127 * 127, no saturation), then to int32.
template <int NR, int NI>
CHOSEI_AVX2 void q8_0_block(const std::int8_t* wq, const std::uint16_t* wd, std::int64_t ldw,
                            const std::int8_t* xq, const float* xd, std::int64_t ldx,
                            std::int64_t C, float* y, std::int64_t ldy) {
  __m256 acc[NR][NI];
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) acc[r][i] = _mm256_setzero_ps();
  const std::int64_t blocks = C / 32, ldb = ldw / 32;
  const __m256i ones = _mm256_set1_epi16(1);
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
        const __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(xv[i], wv));
        const __m256i dot = _mm256_madd_epi16(pairs, ones);
        acc[r][i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot),
                                    _mm256_set1_ps(dw * xd[i * (ldx / 32) + b]), acc[r][i]);
      }
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int i = 0; i < NI; ++i) y[i * ldy + r] = sum8(acc[r][i]);
}

#define CHOSEI_BLOCK_TABLE(name, kernel)                        \
  constexpr decltype(&kernel<1, 1>) name[4][4] = {              \
      {kernel<1, 1>, kernel<1, 2>, kernel<1, 3>, kernel<1, 4>}, \
      {kernel<2, 1>, kernel<2, 2>, kernel<2, 3>, kernel<2, 4>}, \
      {kernel<3, 1>, kernel<3, 2>, kernel<3, 3>, kernel<3, 4>}, \
      {kernel<4, 1>, kernel<4, 2>, kernel<4, 3>, kernel<4, 4>}};

CHOSEI_BLOCK_TABLE(kF32Blocks, f32_block)
CHOSEI_BLOCK_TABLE(kBf16Blocks, bf16_block)
CHOSEI_BLOCK_TABLE(kQ8_0Blocks, q8_0_block)
#undef CHOSEI_BLOCK_TABLE

// fp32 to bf16 bits, round to nearest even (finite values: products of q8_0 blocks).
CHOSEI_AVX2 inline __m256i round_to_bf16(__m256 v) {
  const __m256i bits = _mm256_castps_si256(v);
  const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
  const __m256i bias = _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff));
  return _mm256_srli_epi32(_mm256_add_epi32(bits, bias), 16);
}

CHOSEI_AVX2 inline __m256 widen_q8(const std::int8_t* q, __m256 scale) {
  const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q));
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)), scale);
}

CHOSEI_AVX2 inline __m256 load_f16(const std::uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

}  // namespace

bool usable() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          __builtin_cpu_supports("f16c");
  return yes;
}

void dot_block_f32(const float* w, std::int64_t ldw, int nr, const float* x, std::int64_t ldx,
                   int ni, std::int64_t C, float* y, std::int64_t ldy) {
  kF32Blocks[nr - 1][ni - 1](w, ldw, x, ldx, C, y, ldy);
}

void dot_block_bf16(const std::uint16_t* w, std::int64_t ldw, int nr, const std::uint16_t* x,
                    std::int64_t ldx, int ni, std::int64_t C, float* y, std::int64_t ldy) {
  kBf16Blocks[nr - 1][ni - 1](w, ldw, x, ldx, C, y, ldy);
}

void dot_block_q8_0(const std::int8_t* wq, const std::uint16_t* wd, std::int64_t ldw, int nr,
                    const std::int8_t* xq, const float* xd, std::int64_t ldx, int ni,
                    std::int64_t C, float* y, std::int64_t ldy) {
  kQ8_0Blocks[nr - 1][ni - 1](wq, wd, ldw, xq, xd, ldx, C, y, ldy);
}

CHOSEI_AVX2 void q8_0_to_bf16(const std::int8_t* q, const std::uint16_t* d, std::int64_t n,
                              std::uint16_t* out) {
  for (std::int64_t b = 0; b < n / 32; ++b) {
    const __m256 scale = _mm256_set1_ps(_cvtsh_ss(d[b]));
    for (int half = 0; half < 2; ++half) {
      const std::int8_t* src = q + b * 32 + half * 16;
      const __m256i lo = round_to_bf16(widen_q8(src, scale));
      const __m256i hi = round_to_bf16(widen_q8(src + 8, scale));
      // packus interleaves 128-bit lanes: [lo0-3 hi0-3 lo4-7 hi4-7]; the permute restores order.
      const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xD8);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + b * 32 + half * 16), packed);
    }
  }
}

CHOSEI_AVX2 float dot_f32(const float* a, const float* b, std::int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  float s = sum8(acc);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

CHOSEI_AVX2 void axpy_f32(float a, const float* x, float* y, std::int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

CHOSEI_AVX2 float dot_f32_f16(const float* a, const std::uint16_t* b, std::int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), load_f16(b + i), acc);
  float s = sum8(acc);
  for (; i < n; ++i) s += a[i] * fp16_to_fp32(b[i]);
  return s;
}

CHOSEI_AVX2 void axpy_f16(float a, const std::uint16_t* x, float* y, std::int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, load_f16(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * fp16_to_fp32(x[i]);
}

CHOSEI_AVX2 void fp16_to_fp32_n(const std::uint16_t* x, std::int64_t n, float* out) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load_f16(x + i));
  for (; i < n; ++i) out[i] = fp16_to_fp32(x[i]);
}

// F16C rounds to nearest even, as fp32_to_fp16 does.
CHOSEI_AVX2 void fp32_to_fp16_n(const float* x, std::int64_t n, std::uint16_t* out) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) out[i] = fp32_to_fp16(x[i]);
}

}  // namespace chosei::avx2
