#pragma once
// PairBatch: the chosen and rejected sequences of several preference pairs in one forward
// pass, either one sequence per row (right-padded) or packed best-fit decreasing into rows
// of max_seq_len tokens with a block-diagonal causal mask, so no sequence attends to
// another (datasets/packed_batch.h). The two sides of a pair always share a batch. The
// score positions (row, column) are each sequence's last token.

#include <torch/torch.h>

#include <vector>

#include "datasets/packed_batch.h"
#include "datasets/preference_example.h"

namespace chosei {

struct PairBatch {
  PackedBatch packed;
  torch::Tensor chosen_rows, chosen_cols, rejected_rows, rejected_cols;  // (N) int64
  torch::Tensor margins;                                                 // (N) float32
  std::vector<std::size_t> examples;  // indices of the pairs, in order
};

PairBatch make_pair_batch(const std::vector<PreferenceExample>& examples,
                          const std::vector<std::size_t>& which, bool pack, std::size_t capacity,
                          TokenId pad_id);

// The same for single prompt + answer sequences (scoring, KTO): scores at `rows`/`cols`.
struct SequenceBatch {
  PackedBatch packed;
  torch::Tensor rows, cols;  // (N) int64
};
SequenceBatch make_sequence_batch(const std::vector<const PromptAnswerIds*>& sequences, bool pack,
                                  std::size_t capacity, TokenId pad_id);

}  // namespace chosei
