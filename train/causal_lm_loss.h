#pragma once
// Causal language-modeling loss: the summed cross-entropy of the next-token targets and
// their count, so callers can normalize by the target tokens of a whole accumulated batch
// (1x8 and 4x2 micro-batches then give the same gradient).
//   loss = -(1/N) * sum_t log softmax(logits_t)[target_t]   over targets != -100

#include <torch/torch.h>

namespace chosei {

struct LossSum {
  torch::Tensor sum;         // scalar, differentiable
  std::int64_t count = 0;    // number of targets summed
  std::int64_t correct = 0;  // targets that are the argmax of their logits (token accuracy)
};

// logits (B, T, V) float32, targets (B, T) int64 with -100 where ignored.
LossSum causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace chosei
