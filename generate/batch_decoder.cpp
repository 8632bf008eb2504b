#include "generate/batch_decoder.h"

#include <stdexcept>
#include <string>

namespace chosei {

BatchDecoder::BatchDecoder(LlamaForCausalLM& model, std::int64_t max_rows, std::int64_t capacity)
    : model_(model),
      max_rows_(max_rows),
      capacity_(capacity),
      cache_(model->config(), max_rows, capacity),
      positions_(static_cast<std::size_t>(max_rows), 0) {}

std::string BatchDecoder::refusal(const std::vector<TokenId>& prompt) const {
  const auto P = static_cast<std::int64_t>(prompt.size());
  if (P == 0 || P >= capacity_)
    return "a prompt of " + std::to_string(P) + " tokens does not fit " +
           std::to_string(capacity_) + " positions";
  if (rows_ == max_rows_) return "no free row in the batch";
  return "";
}

torch::Tensor BatchDecoder::add(const std::vector<TokenId>& prompt, torch::Tensor* all_logits) {
  return add(std::vector<std::vector<TokenId>>{prompt}, {all_logits}).front();
}

std::vector<torch::Tensor> BatchDecoder::add(const std::vector<std::vector<TokenId>>& prompts,
                                             const std::vector<torch::Tensor*>& all_logits) {
  if (rows_ + static_cast<std::int64_t>(prompts.size()) > max_rows_)
    throw std::length_error("no free row in the batch for " + std::to_string(prompts.size()) +
                            " prompts (" + std::to_string(max_rows_ - rows_) + " free)");
  for (const auto& prompt : prompts) {
    const auto P = static_cast<std::int64_t>(prompt.size());
    if (P == 0 || P >= capacity_)
      throw std::length_error("a prompt of " + std::to_string(P) + " tokens does not fit " +
                              std::to_string(capacity_) + " positions");
  }
  c10::InferenceMode inference;
  std::vector<DecodeInput> inputs;
  for (std::size_t j = 0; j < prompts.size(); ++j) {
    const bool every = j < all_logits.size() && all_logits[j];
    const auto row = rows_ + static_cast<std::int64_t>(j);
    const auto P = static_cast<std::int64_t>(prompts[j].size());
    for (std::int64_t p = 0; p < P; ++p)
      inputs.push_back({prompts[j][static_cast<std::size_t>(p)], row, p, every || p == P - 1});
  }
  auto logits = model_->decode_engine().forward(inputs, cache_);
  std::vector<torch::Tensor> last;
  std::int64_t at = 0;
  for (std::size_t j = 0; j < prompts.size(); ++j) {
    const bool every = j < all_logits.size() && all_logits[j];
    const auto n = every ? static_cast<std::int64_t>(prompts[j].size()) : 1;
    auto mine = logits.narrow(0, at, n);
    if (every) *all_logits[j] = mine;
    last.push_back(mine.select(0, n - 1).contiguous());
    at += n;
    positions_[static_cast<std::size_t>(rows_++)] = static_cast<std::int64_t>(prompts[j].size());
  }
  return last;
}

torch::Tensor BatchDecoder::step(const std::vector<TokenId>& tokens) {
  if (static_cast<std::int64_t>(tokens.size()) != rows_)
    throw std::invalid_argument("step: " + std::to_string(tokens.size()) + " tokens for " +
                                std::to_string(rows_) + " rows");
  c10::InferenceMode inference;
  std::vector<DecodeInput> inputs;
  for (std::int64_t r = 0; r < rows_; ++r) {
    if (positions_[r] >= capacity_)
      throw std::length_error("row " + std::to_string(r) + " holds " +
                              std::to_string(positions_[r]) + " positions, its capacity");
    inputs.push_back({tokens[static_cast<std::size_t>(r)], r, positions_[r], true});
  }
  auto logits = model_->decode_engine().forward(inputs, cache_);
  for (std::int64_t r = 0; r < rows_; ++r) ++positions_[r];
  return logits;
}

void BatchDecoder::remove(std::int64_t row) {
  if (row < 0 || row >= rows_) throw std::out_of_range("remove: no row " + std::to_string(row));
  const auto last = rows_ - 1;
  if (row != last) {
    cache_.copy_row_from(cache_, last, row, 0, positions_[last]);
    positions_[row] = positions_[last];
  }
  positions_[last] = 0;
  --rows_;
}

}  // namespace chosei
