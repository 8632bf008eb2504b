// The decode matrix-vector kernels against LibTorch's general linear: same products, any
// width (tail masks), bias, one or several threads.

#include <gtest/gtest.h>

#include "model/matvec.h"

namespace chosei {
namespace {

TEST(Matvec, Fp32MatchesLinear) {
  torch::manual_seed(1);
  auto w = torch::randn({37, 70}), b = torch::randn({37}), x = torch::randn({1, 1, 70});
  auto expected = torch::nn::functional::linear(x, w, b);
  auto got = matvec_fp32(x, w, b);
  EXPECT_EQ(got.sizes(), expected.sizes());
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-5);
}

TEST(Matvec, Bf16MatchesBf16Linear) {
  if (!cpu_has_avx512_bf16()) std::cout << "no AVX512-BF16 here: checking the fallback path\n";
  torch::manual_seed(2);
  for (std::int64_t C : {1, 31, 32, 33, 256, 700}) {
    for (int threads : {1, 2}) {
      torch::set_num_threads(threads);
      auto w = torch::randn({45, C}).to(torch::kBFloat16);
      auto b = torch::randn({45}).to(torch::kBFloat16);
      auto x = torch::randn({1, 1, C});
      // Reference: bf16-rounded inputs, products accumulated in fp64.
      auto ref =
          torch::matmul(x.to(torch::kBFloat16).to(torch::kFloat64), w.to(torch::kFloat64).t()) +
          b.to(torch::kFloat64);
      auto got = matvec_bf16(x, w, b);
      ASSERT_EQ(got.scalar_type(), torch::kFloat32);
      ASSERT_EQ(got.sizes(), (std::vector<std::int64_t>{1, 1, 45}));
      double scale = ref.abs().max().item<double>() + 1;
      EXPECT_LT((got.to(torch::kFloat64) - ref).abs().max().item<double>() / scale, 1e-5)
          << "C=" << C;
    }
  }
  torch::set_num_threads(1);
}

}  // namespace
}  // namespace chosei
