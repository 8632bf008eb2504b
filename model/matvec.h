#pragma once
// Matrix-vector products for single-row decoding, where general GEMM kernels waste their
// time packing the weight matrix for a product with one row (OpenBLAS spent 80% of a
// decode step in sgemm_incopy here):
//   fp32: OpenBLAS's sgemv through torch::mv;
//   bf16: a hand-written AVX512-BF16 kernel (vdpbf16ps), which reads half the bytes of
//         fp32; elsewhere an fp32 product of the bf16-rounded inputs (same result).
//
// Both compute y = x W^T (+ b) for x (1, C) and return (1, OC) float32.

#include <torch/torch.h>

#include "base/cpu_features.h"

namespace chosei {

// x (..., C) with one row in total, weight (OC, C) fp32, bias (OC) or undefined.
torch::Tensor matvec_fp32(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias);
// x (..., C) fp32 with one row, weight (OC, C) bf16 contiguous, bias (OC) bf16 or undefined.
// Products in bf16 (inputs rounded to bf16), accumulation in fp32.
torch::Tensor matvec_bf16(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias);

}  // namespace chosei
