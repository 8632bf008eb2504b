#pragma once
// PackedBatch: training rows built from tokenized examples, either one example per row
// (padded) or several per row packed best-fit decreasing. Inside a packed row each
// document attends only to itself (block-diagonal causal mask) and its positions restart
// at 0, so a packed batch computes the same loss as the same examples unpacked.
//
// Targets are shifted per document before packing: targets[t] is the label of token t+1 of
// the same document, and the last token of each document predicts nothing.
//
// Shapes: B rows, T tokens per row.

#include <torch/torch.h>

#include <random>
#include <vector>

#include "datasets/sft_example.h"

namespace chosei {

struct PackedBatch {
  torch::Tensor input_ids;       // (B, T) int64
  torch::Tensor targets;         // (B, T) int64, kIgnoreLabel where nothing is predicted
  torch::Tensor positions;       // (B, T) int64, restarting at 0 per document
  torch::Tensor attention_mask;  // (B, T, T) bool: query t may attend key s
  std::int64_t target_tokens = 0;
  std::int64_t tokens = 0;  // non-pad tokens
};

// `batch` with its tensors on `device` (itself when they are there already): batches are
// built in host memory and moved to a GPU model's device per micro-batch.
PackedBatch on_device(const PackedBatch& batch, const torch::Device& device);

// Groups example indices into bins of at most `capacity` tokens, best-fit decreasing:
// longest first, each into the fullest bin that still has room. Examples longer than
// capacity must have been dropped or truncated before.
std::vector<std::vector<std::size_t>> pack_best_fit_decreasing(
    const std::vector<std::size_t>& lengths, std::size_t capacity);

// Splits examples (taken in `order`) into batches of `rows_per_batch` rows: one example per
// row, or packed best-fit decreasing into rows of `capacity` tokens, in which case the rows
// are shuffled with `row_shuffle` when given (packing sorts by length; training should not
// see batches in length order).
std::vector<PackedBatch> make_batches(const std::vector<SftExample>& examples,
                                      const std::vector<std::size_t>& order, bool pack,
                                      std::size_t capacity, std::size_t rows_per_batch,
                                      TokenId pad_id, std::mt19937_64* row_shuffle = nullptr);

// Builds a batch whose row r holds examples rows[r] back to back, padded with `pad_id` to
// the longest row (or to `pad_to` when larger).
PackedBatch make_batch(const std::vector<SftExample>& examples,
                       const std::vector<std::vector<std::size_t>>& rows, TokenId pad_id,
                       std::int64_t pad_to = 0);

}  // namespace chosei
