#include "model/sequence_classifier.h"

#include <ATen/CPUGeneratorImpl.h>

#include <stdexcept>

namespace chosei {

LlamaForSequenceClassificationImpl::LlamaForSequenceClassificationImpl(const ModelConfig& config,
                                                                       std::int64_t num_labels)
    : config_(config), num_labels_(num_labels) {
  config_.validate("model config");
  if (num_labels < 1)
    throw std::invalid_argument("num_labels must be at least 1, got " + std::to_string(num_labels));
  model = register_module("model", LlamaBackbone(config_));
  score = register_module("score", Projection(config_.hidden_size, num_labels, false));
}

LlamaForSequenceClassificationImpl::LlamaForSequenceClassificationImpl(LlamaBackbone backbone,
                                                                       const ModelConfig& config,
                                                                       std::int64_t num_labels,
                                                                       std::uint64_t seed)
    : config_(config), num_labels_(num_labels) {
  if (num_labels < 1)
    throw std::invalid_argument("num_labels must be at least 1, got " + std::to_string(num_labels));
  model = register_module("model", std::move(backbone));
  score = register_module("score", Projection(config_.hidden_size, num_labels, false));
  initialize_score(seed);
}

void LlamaForSequenceClassificationImpl::initialize_score(std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  score->weight.normal_(0.0, 1.0 / static_cast<double>(config_.hidden_size + 1), gen);
  score->invalidate_cache();
}

torch::Tensor LlamaForSequenceClassificationImpl::hidden_states(const torch::Tensor& ids,
                                                                const ForwardOptions& options) {
  return model->forward(ids, options, precision_);
}

torch::Tensor LlamaForSequenceClassificationImpl::score_at(const torch::Tensor& hidden,
                                                           const torch::Tensor& rows,
                                                           const torch::Tensor& cols) {
  auto picked = hidden.index({rows, cols});  // (N, C)
  return score->forward(picked, precision_).to(torch::kFloat32);
}

torch::Tensor LlamaForSequenceClassificationImpl::forward_padded(
    const torch::Tensor& ids, const torch::Tensor& attention_mask) {
  const auto B = ids.size(0), T = ids.size(1);
  auto real = attention_mask.to(torch::kBool);
  ForwardOptions fwd;
  fwd.positions = (real.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  auto causal = torch::ones({T, T}, torch::kBool).tril().unsqueeze(0);
  auto eye = torch::eye(T, torch::kBool).unsqueeze(0);
  // Real queries see real keys causally; a pad sees only itself (no row of -inf only).
  fwd.attention_mask = causal.logical_and(real.unsqueeze(1)).logical_and(real.unsqueeze(2));
  fwd.attention_mask =
      fwd.attention_mask.logical_or(eye.logical_and(real.logical_not().unsqueeze(2)));
  auto hidden = hidden_states(ids, fwd);
  return score_at(hidden, torch::arange(B, torch::kLong), last_token_index(attention_mask));
}

void LlamaForSequenceClassificationImpl::invalidate_precision_cache() {
  invalidate_precision_caches(*this);
}

torch::Tensor last_token_index(const torch::Tensor& attention_mask) {
  auto real = attention_mask.to(torch::kBool);
  if (real.any(1).logical_not().any().item<bool>())
    throw std::invalid_argument("last_token_index: a row has no real token");
  const auto T = real.size(1);
  auto pos = torch::arange(T, torch::kLong).unsqueeze(0).expand_as(real);
  return torch::where(real, pos, torch::full_like(pos, -1)).amax(1);
}

}  // namespace chosei
