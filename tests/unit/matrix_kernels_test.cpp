// The decode kernels against sums computed in double, for every block shape and for row
// lengths with and without a tail: once through the dispatcher (whatever this CPU picks)
// and once through the AVX2 kernels directly where the CPU has AVX2, so an AVX512 machine
// still checks the kernels an AVX2-only one (CI's) decodes with.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "base/half_float.h"
#include "base/q8_0_blocks.h"
#include "model/matrix_kernels.h"
#include "model/matrix_kernels_avx2.h"

namespace chosei {
namespace {

using BlockF32 = std::function<void(const float*, std::int64_t, int, const float*, std::int64_t,
                                    int, std::int64_t, float*, std::int64_t)>;
using BlockBf16 = std::function<void(const std::uint16_t*, std::int64_t, int, const std::uint16_t*,
                                     std::int64_t, int, std::int64_t, float*, std::int64_t)>;
using BlockQ8 = std::function<void(const std::int8_t*, const std::uint16_t*, std::int64_t, int,
                                   const std::int8_t*, const float*, std::int64_t, int,
                                   std::int64_t, float*, std::int64_t)>;

struct KernelSet {
  std::string name;
  BlockF32 f32;
  BlockBf16 bf16;
  BlockQ8 q8_0;
};

std::vector<KernelSet> kernel_sets() {
  std::vector<KernelSet> sets{{"dispatched", dot_block_f32, dot_block_bf16, dot_block_q8_0}};
  if (avx2::usable())
    sets.push_back({"avx2", avx2::dot_block_f32, avx2::dot_block_bf16, avx2::dot_block_q8_0});
  return sets;
}

std::vector<float> normals(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

// Each block's (row, input) sum also equals the same sum computed as a 1x1 block, bit for
// bit: what keeps a sequence's logits independent of its batch.
template <typename Run>
void expect_block_invariant(const std::string& what, int nr, int ni, Run run) {
  std::vector<float> block(4 * 4, 0.0f), alone(1);
  run(0, nr, 0, ni, block.data(), 4);
  for (int r = 0; r < nr; ++r)
    for (int i = 0; i < ni; ++i) {
      run(r, 1, i, 1, alone.data(), 1);
      ASSERT_EQ(block[i * 4 + r], alone[0]) << what << " row " << r << " input " << i;
    }
}

TEST(MatrixKernels, F32BlocksEqualTheDoubleSumAndDoNotDependOnTheBlockShape) {
  for (const auto& set : kernel_sets())
    for (std::int64_t C : {5, 8, 64, 100, 259}) {
      const auto w = normals(4 * C, 1), x = normals(4 * C, 2);
      for (int nr = 1; nr <= 4; ++nr)
        for (int ni = 1; ni <= 4; ++ni) {
          std::vector<float> y(4 * 4);
          set.f32(w.data(), C, nr, x.data(), C, ni, C, y.data(), 4);
          for (int r = 0; r < nr; ++r)
            for (int i = 0; i < ni; ++i) {
              double ref = 0;
              for (std::int64_t c = 0; c < C; ++c) ref += double(w[r * C + c]) * x[i * C + c];
              EXPECT_NEAR(y[i * 4 + r], ref, 1e-5 * (1 + std::sqrt(double(C))))
                  << set.name << " C " << C << " " << nr << "x" << ni;
            }
          expect_block_invariant(
              set.name + " f32", nr, ni, [&](int r0, int rn, int i0, int in, float* out, int ldy) {
                set.f32(w.data() + r0 * C, C, rn, x.data() + i0 * C, C, in, C, out, ldy);
              });
        }
    }
}

TEST(MatrixKernels, Bf16BlocksEqualTheDoubleSumOfTheBf16Values) {
  for (const auto& set : kernel_sets())
    for (std::int64_t C : {3, 8, 64, 100, 258}) {
      const auto wf = normals(4 * C, 3), xf = normals(4 * C, 4);
      std::vector<std::uint16_t> w(wf.size()), x(xf.size());
      for (std::size_t k = 0; k < w.size(); ++k) {
        w[k] = fp32_to_bf16(wf[k]);
        x[k] = fp32_to_bf16(xf[k]);
      }
      for (int nr = 1; nr <= 4; ++nr)
        for (int ni = 1; ni <= 4; ++ni) {
          std::vector<float> y(4 * 4);
          set.bf16(w.data(), C, nr, x.data(), C, ni, C, y.data(), 4);
          for (int r = 0; r < nr; ++r)
            for (int i = 0; i < ni; ++i) {
              double ref = 0;
              for (std::int64_t c = 0; c < C; ++c)
                ref += double(bf16_to_fp32(w[r * C + c])) * bf16_to_fp32(x[i * C + c]);
              EXPECT_NEAR(y[i * 4 + r], ref, 1e-5 * (1 + std::sqrt(double(C))))
                  << set.name << " C " << C << " " << nr << "x" << ni;
            }
          expect_block_invariant(
              set.name + " bf16", nr, ni, [&](int r0, int rn, int i0, int in, float* out, int ldy) {
                set.bf16(w.data() + r0 * C, C, rn, x.data() + i0 * C, C, in, C, out, ldy);
              });
        }
    }
}

// ggml's vec_dot_q8_0_q8_0: per block of 32 the exact integer dot product times both scales.
TEST(MatrixKernels, Q8_0BlocksEqualTheIntegerDotProductsTimesTheirScales) {
  for (const auto& set : kernel_sets())
    for (std::int64_t C : {32, 96, 256}) {
      auto wf = normals(4 * C, 5), xf = normals(4 * C, 6);
      wf[7] = 40.0f;  // a block whose largest value is +127 and one whose is -127
      xf[C + 3] = -40.0f;
      std::vector<std::int8_t> wq(wf.size()), xq(xf.size());
      std::vector<std::uint16_t> wd(wf.size() / 32), xd16(xf.size() / 32);
      quantize_q8_0(wf.data(), static_cast<std::int64_t>(wf.size()), wd.data(), wq.data());
      quantize_q8_0(xf.data(), static_cast<std::int64_t>(xf.size()), xd16.data(), xq.data());
      std::vector<float> xd(xd16.size());
      for (std::size_t k = 0; k < xd.size(); ++k) xd[k] = fp16_to_fp32(xd16[k]);
      for (int nr = 1; nr <= 4; ++nr)
        for (int ni = 1; ni <= 4; ++ni) {
          std::vector<float> y(4 * 4);
          set.q8_0(wq.data(), wd.data(), C, nr, xq.data(), xd.data(), C, ni, C, y.data(), 4);
          for (int r = 0; r < nr; ++r)
            for (int i = 0; i < ni; ++i) {
              double ref = 0;
              for (std::int64_t b = 0; b < C / 32; ++b) {
                std::int64_t dot = 0;
                for (int j = 0; j < 32; ++j) dot += wq[r * C + b * 32 + j] * xq[i * C + b * 32 + j];
                ref += double(dot) * fp16_to_fp32(wd[r * C / 32 + b]) * xd[i * C / 32 + b];
              }
              EXPECT_NEAR(y[i * 4 + r], ref, 1e-5 * (1 + std::abs(ref)))
                  << set.name << " C " << C << " " << nr << "x" << ni;
            }
          expect_block_invariant(
              set.name + " q8_0", nr, ni, [&](int r0, int rn, int i0, int in, float* out, int ldy) {
                set.q8_0(wq.data() + r0 * C, wd.data() + r0 * C / 32, C, rn, xq.data() + i0 * C,
                         xd.data() + i0 * C / 32, C, in, C, out, ldy);
              });
        }
    }
}

TEST(MatrixKernels, Avx2VectorKernelsMatchTheScalarDefinitions) {
  if (!avx2::usable()) GTEST_SKIP() << "no AVX2, FMA and F16C on this CPU";
  const std::int64_t n = 77;
  const auto a = normals(n, 7), b = normals(n, 8);
  std::vector<std::uint16_t> b16(n);
  for (std::int64_t i = 0; i < n; ++i) b16[i] = fp32_to_fp16(b[i]);
  double dot = 0, dot16 = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    dot += double(a[i]) * b[i];
    dot16 += double(a[i]) * fp16_to_fp32(b16[i]);
  }
  EXPECT_NEAR(avx2::dot_f32(a.data(), b.data(), n), dot, 1e-4);
  EXPECT_NEAR(avx2::dot_f32_f16(a.data(), b16.data(), n), dot16, 1e-4);
  std::vector<float> y(b), y16(b);
  avx2::axpy_f32(0.5f, a.data(), y.data(), n);
  std::vector<float> x16(n);
  for (std::int64_t i = 0; i < n; ++i) x16[i] = fp16_to_fp32(b16[i]);
  avx2::axpy_f16(-2.0f, b16.data(), y16.data(), n);
  for (std::int64_t i = 0; i < n; ++i) {
    EXPECT_FLOAT_EQ(y[i], std::fma(0.5f, a[i], b[i])) << i;
    EXPECT_FLOAT_EQ(y16[i], std::fma(-2.0f, x16[i], b[i])) << i;
  }
}

// F16C conversions equal base/half_float's (round to nearest even), subnormals, overflow
// and infinities included.
TEST(MatrixKernels, Avx2HalfConversionsEqualTheScalarOnesBitForBit) {
  if (!avx2::usable()) GTEST_SKIP() << "no AVX2, FMA and F16C on this CPU";
  auto x = normals(1000, 9);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::ldexp(x[i], int(i % 60) - 30);
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.0f, -0.0f, 65504.0f, 65520.0f, 1e6f, -inf, inf, 5.9604645e-8f, 2.9802322e-8f,
                  2.9802326e-8f, 6.1035156e-5f})
    x.push_back(v);
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<std::uint16_t> h(x.size());
  avx2::fp32_to_fp16_n(x.data(), n, h.data());
  std::vector<float> back(x.size());
  avx2::fp16_to_fp32_n(h.data(), n, back.data());
  for (std::int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(h[i], fp32_to_fp16(x[i])) << "value " << x[i];
    ASSERT_EQ(back[i], fp16_to_fp32(h[i])) << "value " << x[i];
  }
}

TEST(MatrixKernels, Avx2Q8_0WidensToBf16AsTheScalarRoundingDoes) {
  if (!avx2::usable()) GTEST_SKIP() << "no AVX2, FMA and F16C on this CPU";
  std::mt19937 rng(10);
  std::uniform_int_distribution<int> value(-127, 127);
  const std::int64_t n = 32 * 50;
  std::vector<std::int8_t> q(n);
  std::vector<std::uint16_t> d(n / 32), out(n);
  for (auto& v : q) v = static_cast<std::int8_t>(value(rng));
  for (std::size_t b = 0; b < d.size(); ++b)
    d[b] = fp32_to_fp16(std::ldexp(1.0f + float(b) / 7, int(b % 20) - 12));
  avx2::q8_0_to_bf16(q.data(), d.data(), n, out.data());
  for (std::int64_t i = 0; i < n; ++i)
    ASSERT_EQ(out[i], fp32_to_bf16(float(q[i]) * fp16_to_fp32(d[i / 32]))) << "value " << i;
}

}  // namespace
}  // namespace chosei
