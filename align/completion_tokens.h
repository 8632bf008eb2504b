#pragma once
// What the online objectives (align/rloo_loss.h, align/grpo_loss.h) read about S sampled
// completions: per completion token (N in all, in one flat order) the log-probability
// under the policy being trained, under the policy that sampled it ("old"), and under the
// reference, and which completion the token belongs to. Every log-probability is taken at
// the sampling temperature (trl#3029, OpenRLHF#853).

#include <torch/torch.h>

#include <cstdint>

namespace chosei {

struct CompletionTokens {
  torch::Tensor logp;      // (N) float32, differentiable
  torch::Tensor old_logp;  // (N) constant
  torch::Tensor ref_logp;  // (N) constant; undefined when no KL term is taken (beta = 0)
  torch::Tensor owner;     // (N) int64 in [0, completions)
  std::int64_t completions = 0;

  // Per completion: the sum of a per-token quantity (S).
  torch::Tensor per_completion(const torch::Tensor& per_token) const {
    return torch::zeros({completions}, per_token.options()).index_add(0, owner, per_token);
  }
  torch::Tensor lengths() const { return per_completion(torch::ones_like(old_logp)); }
};

}  // namespace chosei
