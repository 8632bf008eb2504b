#pragma once
// BatchDecoder: decodes many sequences together, one token each per step, while sequences
// join and leave at any step (continuous batching, as vLLM and llama.cpp's server do).
//
// Each row owns one row of a shared KV cache and keeps position p in column p, so rows of
// different lengths decode in one pass of the decode engine (model/decode_engine.h) with
// no masks: a row's logits equal those of decoding it alone (the engine's sums do not
// depend on the batch). Requests that join together are prefilled together, in one
// forward pass: on the engine when the prompts are short (or the model keeps only its
// decoding weights), else as one packed sequence through LibTorch's GEMMs, which process
// long prompts faster (measured 2.2x at 512 tokens), its keys and values then copied into
// each row. Active rows stay packed at the front: a leaving row is replaced by the last one.
//
// A model off the CPU (a GPU's) or with engine decoding off prefills through LibTorch and
// steps through it too, every row's key and value stored at its own column
// (ForwardOptions::cache_at_positions). Logits always come back in host memory.
//
// A LongRoPE model (Phi-3) recomputes a row's cache the step it outgrows the original
// context, as transformers' generation does (RopeParameters::recompute_cache); the engine
// takes the row's earlier tokens again in that step's pass.

#include <torch/torch.h>

#include <vector>

#include "model/kv_cache.h"
#include "model/llama_model.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

class BatchDecoder {
 public:
  // `capacity`: positions per row; must exceed the longest sequence (prompt + generated).
  BatchDecoder(LlamaForCausalLM& model, std::int64_t max_rows, std::int64_t capacity);

  std::int64_t rows() const { return rows_; }
  std::int64_t max_rows() const { return max_rows_; }
  // Longest sequence a row can hold.
  std::int64_t capacity() const { return capacity_; }

  // Prefills `prompt` as a new last row; returns its next-token logits (V floats). With
  // `all_logits`, it also receives every position's logits (P, V) (for prompt scoring).
  // Throws std::length_error when no row is free or the prompt cannot fit.
  torch::Tensor add(const std::vector<TokenId>& prompt, torch::Tensor* all_logits = nullptr);
  // Prefills several prompts in one forward pass as new last rows, in order; returns each
  // one's next-token logits. `all_logits`, empty or one entry per prompt (null where not
  // wanted), receives every position's logits as add does.
  std::vector<torch::Tensor> add(const std::vector<std::vector<TokenId>>& prompts,
                                 const std::vector<torch::Tensor*>& all_logits = {});
  // Why `prompt` cannot join (empty when it can fit a free row).
  std::string refusal(const std::vector<TokenId>& prompt) const;
  // Feeds one token per active row (in row order); returns logits (rows, V).
  torch::Tensor step(const std::vector<TokenId>& tokens);
  // Drops `row`; the last row moves into its place (callers move their state the same way).
  void remove(std::int64_t row);
  // Tokens (prompt and fed) held for `row`.
  std::int64_t length(std::int64_t row) const { return positions_[row]; }

 private:
  LlamaForCausalLM& model_;
  torch::Tensor step_through_libtorch(const std::vector<TokenId>& tokens);
  std::vector<torch::Tensor> prefill_packed(const std::vector<std::vector<TokenId>>& prompts,
                                            const std::vector<torch::Tensor*>& all_logits);
  std::int64_t max_rows_, capacity_, rows_ = 0;
  KvCache cache_;
  std::vector<std::int64_t> positions_;       // tokens held per row (its next position)
  std::vector<std::vector<TokenId>> tokens_;  // each row's tokens, for a LongRoPE recompute
  // LibTorch path: row `row`'s cache computed again for the length it is about to reach.
  void recompute_row(std::int64_t row);
};

}  // namespace chosei
