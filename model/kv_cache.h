#pragma once
// KvCache: the keys and values of past positions for incremental decoding, one pair of
// preallocated tensors per layer, (B, NKV, capacity, HD) each. A LibTorch forward pass
// over T new tokens appends them at [length, length + T) of every row and advances length
// by T; the decode engine instead writes each row at its own positions (keys()/values()).

#include <torch/torch.h>

#include <vector>

namespace chosei {

struct ModelConfig;

class KvCache {
 public:
  KvCache(const ModelConfig& config, std::int64_t batch, std::int64_t capacity);

  std::int64_t length() const { return length_; }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t batch() const { return batch_; }
  // Stores k, v (B, NKV, T, HD) of `layer` at [length, length + T) and returns the views
  // of positions [0, length + T). Throws std::length_error when the cache is full.
  std::pair<torch::Tensor, torch::Tensor> append(std::int64_t layer, const torch::Tensor& k,
                                                 const torch::Tensor& v);
  // Called once per forward pass after every layer appended T positions.
  void advance(std::int64_t T) { length_ += T; }
  void reset() { length_ = 0; }
  // Copies positions [src_col, src_col + len) of row `src_row` of `src` into row `dst_row`
  // at [dst_col, dst_col + len).
  void copy_row_from(const KvCache& src, std::int64_t src_row, std::int64_t dst_row,
                     std::int64_t dst_col, std::int64_t len, std::int64_t src_col = 0);
  // Layer `layer`'s keys or values, (batch, NKV, capacity, HD) contiguous fp32, for the
  // decode engine, which writes each row at its own positions.
  float* keys(std::int64_t layer) { return keys_.at(layer).data_ptr<float>(); }
  float* values(std::int64_t layer) { return values_.at(layer).data_ptr<float>(); }

 private:
  std::vector<torch::Tensor> keys_, values_;
  std::int64_t batch_, capacity_, length_ = 0;
};

}  // namespace chosei
