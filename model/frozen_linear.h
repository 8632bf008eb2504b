#pragma once
// y = x W^T (+ b) for a frozen weight held in a half type (bf16, fp16) and computed in fp32:
// the weight is widened for the product and widened again in the backward pass instead of
// being kept, and neither x nor the widened weight is saved, because a frozen weight needs no
// gradient and dx = dy W needs only W. Under LoRA this holds the base at half the memory of
// fp32 while the arithmetic stays fp32's: a model whose checkpoint was bf16 trains exactly as
// when its weights were widened at load.

#include <torch/torch.h>

namespace chosei {

// x (..., C) fp32, weight (OC, C) half, bias (OC) or undefined -> (..., OC) fp32. The weight
// and bias must not require gradients.
torch::Tensor frozen_linear(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias);

// Whether `weight` is held in a half type while the computation runs in fp32.
inline bool held_in_half(const torch::Tensor& weight) {
  return weight.scalar_type() == torch::kBFloat16 || weight.scalar_type() == torch::kFloat16;
}

}  // namespace chosei
