#pragma once
// Causal language-modeling loss: the summed cross-entropy of the next-token targets and
// their count, so callers can normalize by the target tokens of a whole accumulated batch
// (1x8 and 4x2 micro-batches then give the same gradient).
//   loss = -(1/N) * sum_t log softmax(logits_t)[target_t]   over targets != -100

#include <torch/torch.h>

#include "model/llama_model.h"

namespace chosei {

struct LossSum {
  torch::Tensor sum;         // scalar, differentiable
  std::int64_t count = 0;    // number of targets summed
  std::int64_t correct = 0;  // targets that are the argmax of their logits (token accuracy)
};

// logits (B, T, V) float32, targets (B, T) int64 with -100 where ignored.
LossSum causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& targets);

// The same sum from the final hidden states (B, T, C): the language-model head is applied to
// the rows that have a target only, `chunk` rows at a time, and each chunk's logits are
// recomputed in the backward pass instead of kept, so no (B, T, V) logits ever exist: peak
// logits memory is chunk x V. TRL's default loss, "chunked_nll" (trl/trainer/sft_trainer.py,
// _chunked_cross_entropy_loss), computes it the same way.
LossSum chunked_causal_lm_loss(LlamaForCausalLMImpl& model, const torch::Tensor& hidden,
                               const torch::Tensor& targets, std::int64_t chunk = 256);

}  // namespace chosei
