#include "model/matvec.h"

#include <ATen/Parallel.h>
#include <immintrin.h>

#include <cstring>

namespace chosei {

namespace {

// GCC 12 reports its own masked-load intrinsics as maybe-uninitialized (a known false
// positive in avx512fintrin.h); the masked lanes are zeroed by definition.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Dot products of 4 rows of W (bf16) with x (bf16 pairs), C elements, accumulating in fp32.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) void dot4_bf16(
    const std::uint16_t* w, std::int64_t C, const std::uint16_t* x, std::int64_t rows, float* out) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  std::int64_t c = 0;
  for (; c + 32 <= C; c += 32) {
    __m512bh xv = (__m512bh)_mm512_loadu_si512(x + c);
    for (std::int64_t r = 0; r < rows; ++r)
      acc[r] = _mm512_dpbf16_ps(acc[r], (__m512bh)_mm512_loadu_si512(w + r * C + c), xv);
  }
  if (c < C) {
    const __mmask32 mask = (__mmask32)((1ull << (C - c)) - 1);
    __m512bh xv = (__m512bh)_mm512_maskz_loadu_epi16(mask, x + c);
    for (std::int64_t r = 0; r < rows; ++r)
      acc[r] =
          _mm512_dpbf16_ps(acc[r], (__m512bh)_mm512_maskz_loadu_epi16(mask, w + r * C + c), xv);
  }
  for (std::int64_t r = 0; r < rows; ++r) out[r] = _mm512_reduce_add_ps(acc[r]);
}
#pragma GCC diagnostic pop

std::vector<std::int64_t> output_sizes(const torch::Tensor& x, std::int64_t OC) {
  auto sizes = x.sizes().vec();
  sizes.back() = OC;
  return sizes;
}

}  // namespace

torch::Tensor matvec_fp32(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias) {
  auto y = torch::mv(weight, x.reshape({-1}));
  if (bias.defined()) y.add_(bias);
  return y.view(output_sizes(x, weight.size(0)));
}

torch::Tensor matvec_bf16(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias) {
  const auto OC = weight.size(0), C = weight.size(1);
  if (!cpu_has_avx512_bf16() || !weight.is_contiguous()) {
    // The same contract as the kernel: bf16 inputs, products accumulated and returned in
    // fp32. A bf16 linear would round its output to bf16 (a 3e-3 relative error).
    auto xf = x.to(torch::kBFloat16).to(torch::kFloat32);
    return torch::nn::functional::linear(xf, weight.to(torch::kFloat32),
                                         bias.defined() ? bias.to(torch::kFloat32) : bias);
  }
  auto xb = x.reshape({-1}).to(torch::kBFloat16).contiguous();
  auto y = torch::empty(output_sizes(x, OC), torch::kFloat32);
  const auto* w = reinterpret_cast<const std::uint16_t*>(weight.data_ptr<at::BFloat16>());
  const auto* xv = reinterpret_cast<const std::uint16_t*>(xb.data_ptr<at::BFloat16>());
  float* out = y.data_ptr<float>();
  // Rows in blocks of 4 (one x load feeds four rows); split across the intra-op pool.
  at::parallel_for(0, (OC + 3) / 4, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      const std::int64_t r0 = b * 4, rows = std::min<std::int64_t>(4, OC - r0);
      dot4_bf16(w + r0 * C, C, xv, rows, out + r0);
    }
  });
  if (bias.defined()) y.add_(bias.to(torch::kFloat32).view(y.sizes()));
  return y;
}

}  // namespace chosei
