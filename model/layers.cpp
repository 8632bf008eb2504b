#include "model/layers.h"

#include <cmath>

namespace chosei {

ProjectionImpl::ProjectionImpl(std::int64_t in_features, std::int64_t out_features, bool bias) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}));
  if (bias) this->bias = register_parameter("bias", torch::zeros({out_features}));
}

torch::Tensor ProjectionImpl::forward(const torch::Tensor& x, Precision precision) {
  if (precision == Precision::kFP32) return torch::nn::functional::linear(x, weight, bias);
  torch::Tensor w, b;
  if (torch::GradMode::is_enabled()) {
    w = weight.to(torch::kBFloat16);
    if (bias.defined()) b = bias.to(torch::kBFloat16);
  } else {
    if (!weight_bf16_.defined()) {
      weight_bf16_ = weight.to(torch::kBFloat16);
      if (bias.defined()) bias_bf16_ = bias.to(torch::kBFloat16);
    }
    w = weight_bf16_;
    b = bias_bf16_;
  }
  return torch::nn::functional::linear(x.to(torch::kBFloat16), w, b).to(torch::kFloat32);
}

RmsNormImpl::RmsNormImpl(std::int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  auto variance = x.pow(2).mean(-1, /*keepdim=*/true);
  return weight * (x * torch::rsqrt(variance + eps_));
}

RotaryTable::RotaryTable(std::int64_t head_dim, std::int64_t max_positions, double theta)
    : head_dim_(head_dim), theta_(theta) {
  grow(max_positions);
}

void RotaryTable::grow(std::int64_t max_positions) {
  torch::NoGradGuard no_grad;
  // inv_freq_i = theta^(-2i/HD), computed in fp32 like HF's LlamaRotaryEmbedding.
  auto inv_freq =
      1.0 /
      torch::pow(
          theta_,
          torch::arange(0, head_dim_, 2, torch::kFloat32).div(static_cast<double>(head_dim_)));
  auto t = torch::arange(max_positions, torch::kFloat32);
  auto freqs = torch::outer(t, inv_freq.to(torch::kFloat32));  // (P, HD/2)
  auto emb = torch::cat({freqs, freqs}, -1);                   // (P, HD)
  cos_ = emb.cos();
  sin_ = emb.sin();
  max_positions_ = max_positions;
}

torch::Tensor RotaryTable::apply(const torch::Tensor& x, const torch::Tensor& positions,
                                 std::int64_t max_position) {
  if (max_position > max_positions_) grow(std::max(max_position, 2 * max_positions_));
  const auto B = positions.size(0), T = positions.size(1);
  auto flat = positions.reshape(-1);
  auto cos = cos_.index_select(0, flat).view({B, T, 1, head_dim_});
  auto sin = sin_.index_select(0, flat).view({B, T, 1, head_dim_});
  auto halves = x.chunk(2, -1);
  auto rotated = torch::cat({-halves[1], halves[0]}, -1);  // rotate_half
  return x * cos + rotated * sin;
}

}  // namespace chosei
