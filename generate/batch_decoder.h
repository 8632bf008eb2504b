#pragma once
// BatchDecoder: decodes many sequences together, one token each per step, while sequences
// join and leave at any step (continuous batching, as vLLM and llama.cpp's server do).
//
// All rows share one KV cache whose columns are written in step: a row that joins gets its
// prompt prefilled alone and copied into fresh columns, so every row owns a scattered set of
// columns. A per-row column mask and per-row positions make each row see only its own
// tokens, at its own positions; the logits equal those of decoding the row alone. Active
// rows stay packed at the front (a leaving row is replaced by the last one), and the
// columns are compacted when the cache fills.

#include <torch/torch.h>

#include <vector>

#include "model/kv_cache.h"
#include "model/llama_model.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

class BatchDecoder {
 public:
  // `capacity`: cache columns; must exceed the longest sequence (prompt + generated).
  BatchDecoder(LlamaForCausalLM& model, std::int64_t max_rows, std::int64_t capacity);

  std::int64_t rows() const { return rows_; }
  std::int64_t max_rows() const { return max_rows_; }
  // Longest sequence a row can hold.
  std::int64_t capacity() const { return capacity_; }

  // Prefills `prompt` as a new last row; returns its next-token logits (V floats). With
  // `all_logits`, it also receives every position's logits (P, V) (for prompt scoring).
  // Throws std::length_error when no row is free or the prompt cannot fit.
  torch::Tensor add(const std::vector<TokenId>& prompt, torch::Tensor* all_logits = nullptr);
  // Feeds one token per active row (in row order); returns logits (rows, V).
  torch::Tensor step(const std::vector<TokenId>& tokens);
  // Drops `row`; the last row moves into its place (callers move their state the same way).
  void remove(std::int64_t row);
  // Tokens (prompt and fed) held for `row`.
  std::int64_t length(std::int64_t row) const { return positions_[row]; }

 private:
  void make_room(std::int64_t columns);
  void compact();

  LlamaForCausalLM& model_;
  std::int64_t max_rows_, capacity_, rows_ = 0;
  KvCache cache_;
  torch::Tensor valid_;                  // (max_rows, capacity) bool: the row's own columns
  std::vector<std::int64_t> positions_;  // tokens held per row (its next position)
};

}  // namespace chosei
