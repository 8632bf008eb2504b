#include "generate/batch_decoder.h"

#include <stdexcept>
#include <string>

namespace chosei {

BatchDecoder::BatchDecoder(LlamaForCausalLM& model, std::int64_t max_rows, std::int64_t capacity)
    : model_(model),
      max_rows_(max_rows),
      capacity_(capacity),
      cache_(model->config(), max_rows, capacity),
      valid_(torch::zeros({max_rows, capacity}, torch::kBool)),
      positions_(static_cast<std::size_t>(max_rows), 0) {}

torch::Tensor BatchDecoder::add(const std::vector<TokenId>& prompt, torch::Tensor* all_logits) {
  const auto P = static_cast<std::int64_t>(prompt.size());
  if (rows_ == max_rows_) throw std::length_error("no free row in the batch");
  if (P == 0 || P >= capacity_)
    throw std::length_error("a prompt of " + std::to_string(P) + " tokens does not fit " +
                            std::to_string(capacity_) + " positions");
  c10::InferenceMode inference;
  KvCache single(model_->config(), 1, P);
  ForwardOptions fwd;
  fwd.cache = &single;
  fwd.last_position_only = all_logits == nullptr;
  auto ids = torch::tensor(std::vector<std::int64_t>(prompt.begin(), prompt.end()), torch::kLong);
  auto logits = model_->forward(ids.unsqueeze(0), fwd).squeeze(0);
  if (all_logits) *all_logits = logits;
  logits = logits.select(0, logits.size(0) - 1).contiguous();
  make_room(P);
  const auto row = rows_++;
  const auto col = cache_.length();
  cache_.copy_row_from(single, 0, row, col, P);
  valid_[row].fill_(false);
  valid_[row].narrow(0, col, P).fill_(true);
  cache_.set_length(col + P);
  positions_[row] = P;
  return logits;
}

torch::Tensor BatchDecoder::step(const std::vector<TokenId>& tokens) {
  if (static_cast<std::int64_t>(tokens.size()) != rows_)
    throw std::invalid_argument("step: " + std::to_string(tokens.size()) + " tokens for " +
                                std::to_string(rows_) + " rows");
  c10::InferenceMode inference;
  make_room(1);
  const auto col = cache_.length();
  valid_.narrow(0, 0, rows_).select(1, col).fill_(true);
  ForwardOptions fwd;
  fwd.cache = &cache_;
  // A lone row whose columns are exactly [0, length) is plain decoding: contiguous positions
  // and no mask, so the model takes its one-row fast path (matvec kernels, no gathers).
  const bool plain = rows_ == 1 && positions_[0] == col;
  if (!plain) {
    std::vector<std::int64_t> pos(positions_.begin(), positions_.begin() + rows_);
    fwd.positions = torch::tensor(pos, torch::kLong).unsqueeze(1);
    fwd.attention_mask = valid_.narrow(0, 0, rows_).narrow(1, 0, col + 1).unsqueeze(1);
  }
  cache_.set_rows(rows_);
  auto ids = torch::tensor(std::vector<std::int64_t>(tokens.begin(), tokens.end()), torch::kLong);
  auto logits = model_->forward(ids.unsqueeze(1), fwd).squeeze(1);
  for (std::int64_t r = 0; r < rows_; ++r) ++positions_[r];
  return logits;
}

void BatchDecoder::remove(std::int64_t row) {
  if (row < 0 || row >= rows_) throw std::out_of_range("remove: no row " + std::to_string(row));
  const auto last = rows_ - 1;
  if (row != last) {
    const auto L = cache_.length();
    cache_.gather_row(last, row, torch::arange(L, torch::kLong));
    valid_[row].copy_(valid_[last]);
    positions_[row] = positions_[last];
  }
  valid_[last].fill_(false);
  positions_[last] = 0;
  if (--rows_ == 0) cache_.set_length(0);
}

void BatchDecoder::make_room(std::int64_t columns) {
  if (cache_.length() + columns <= capacity_) return;
  compact();
  if (cache_.length() + columns > capacity_)
    throw std::length_error("the batch's KV cache is full (" + std::to_string(capacity_) +
                            " positions)");
}

// Moves every row's own columns to the front, in order: the next column is then the longest
// row's length.
void BatchDecoder::compact() {
  std::int64_t longest = 0;
  for (std::int64_t r = 0; r < rows_; ++r) {
    auto columns = valid_[r].nonzero().reshape({-1});
    cache_.gather_row(r, r, columns);
    valid_[r].fill_(false);
    valid_[r].narrow(0, 0, columns.numel()).fill_(true);
    longest = std::max(longest, columns.numel());
  }
  cache_.set_length(longest);
}

}  // namespace chosei
