#pragma once
// Log-probabilities of whole answers: the quantity every preference objective compares.
// Prompt + answer sequences are packed (several per row, each attending only to itself:
// datasets/packed_batch.h) and one forward gives, per sequence, the sum of log p(token)
// over its answer tokens and their count (the "avg" variants divide the two, the count
// clamped to at least 1), and the same over every predicted token, prompt included (ORPO's
// NLL term). Log-softmax runs in fp32 whatever the compute precision, on logits divided by
// the sampling temperature (online methods score at the temperature they sampled at).

#include <torch/torch.h>

#include <vector>

#include "datasets/packed_batch.h"
#include "datasets/preference_example.h"
#include "model/llama_model.h"

namespace chosei {

struct LogpBatch {
  PackedBatch packed;      // next-token targets on every token of each sequence
  torch::Tensor sequence;  // (B, T) int64: the sequence whose target sits there, or -1
  torch::Tensor answer;    // (B, T) bool: that target is one of the sequence's answer tokens
  std::int64_t sequences = 0;
};

// `sequences` in order; packed best-fit into rows of `capacity` tokens, or one per row.
LogpBatch make_logp_batch(const std::vector<const PromptAnswerIds*>& sequences, bool pack,
                          std::size_t capacity, TokenId pad_id);

struct SequenceLogps {
  torch::Tensor answer_sum, answer_tokens;  // (S): sum over answer tokens, their count
  torch::Tensor all_sum, all_tokens;        // (S): over every predicted token
};

// Differentiable unless called under torch::NoGradGuard.
SequenceLogps sequence_logps(LlamaForCausalLM& model, const LogpBatch& batch,
                             double temperature = 1.0);

// Per answer token, in the batch's (row, position) order: what token-level objectives
// (GRPO) and the per-token KL read. `entropy` is the policy's entropy at each of those
// positions (-sum p log p over the vocabulary), detached, only when asked for.
struct AnswerTokenLogps {
  torch::Tensor logp;     // (N) float32
  torch::Tensor owner;    // (N) int64: the sequence each token belongs to
  torch::Tensor entropy;  // (N) float32, or undefined
};
AnswerTokenLogps answer_token_logps(LlamaForCausalLM& model, const LogpBatch& batch,
                                    double temperature = 1.0, bool entropy = false);

}  // namespace chosei
