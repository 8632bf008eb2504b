#pragma once
// KvCache: the keys and values of past positions for incremental decoding, one pair of
// preallocated tensors per layer, (B, NKV, capacity, HD) each. A LibTorch forward pass
// over T new tokens appends them at [length, length + T) of every row and advances length
// by T; the decode engine instead writes each row at its own positions (key_data()).
//
// Entries are fp32 (the reference: decoding exact against the LibTorch path) or fp16, half
// the bytes per token (llama.cpp's default cache type), which is what decoding deep into a
// long context reads besides the weights.

#include <torch/torch.h>

#include <string>
#include <vector>

namespace chosei {

struct ModelConfig;

// "f32" or "f16" (torch::kFloat32, torch::kHalf); throws std::invalid_argument naming the
// value and the accepted ones.
torch::ScalarType parse_kv_cache_type(const std::string& name);

class KvCache {
 public:
  // On `device` (model/compute_device.h): the decode engine reads CPU caches only; a GPU
  // model's cache lives beside its weights.
  KvCache(const ModelConfig& config, std::int64_t batch, std::int64_t capacity,
          torch::ScalarType dtype = torch::kFloat32,
          torch::Device device = torch::Device(torch::kCPU));

  std::int64_t length() const { return length_; }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t batch() const { return batch_; }
  torch::ScalarType dtype() const { return dtype_; }
  torch::Device device() const { return device_; }
  // Stores k, v (B, NKV, T, HD) of `layer` at [length, length + T) and returns positions
  // [0, length + T) in k's dtype (views when the cache holds that type). Throws
  // std::length_error when the cache is full.
  std::pair<torch::Tensor, torch::Tensor> append(std::int64_t layer, const torch::Tensor& k,
                                                 const torch::Tensor& v);
  // Stores k, v (B, NKV, T, HD) of `layer` with row b's token t at column positions[b][t]
  // (B, T) int64, rows at their own lengths as the decode engine keeps them, and returns
  // columns [0, columns) of every row in k's dtype: the LibTorch form of a batched decoding
  // step (a GPU's), whose mask hides each row's columns past its position. Those columns
  // are still multiplied (by zero probabilities), so the cache must have been zeroed:
  // uninitialized memory may hold NaN. Throws std::logic_error otherwise.
  std::pair<torch::Tensor, torch::Tensor> store_at_positions(std::int64_t layer,
                                                             const torch::Tensor& k,
                                                             const torch::Tensor& v,
                                                             const torch::Tensor& positions,
                                                             std::int64_t columns);
  // Called once per forward pass after every layer appended T positions.
  void advance(std::int64_t T) { length_ += T; }
  void reset() { length_ = 0; }
  // Zeroes every entry (for store_at_positions); the decode engine never needs it.
  void zero();
  // Copies positions [src_col, src_col + len) of row `src_row` of `src` into row `dst_row`
  // at [dst_col, dst_col + len), converted to this cache's type.
  void copy_row_from(const KvCache& src, std::int64_t src_row, std::int64_t dst_row,
                     std::int64_t dst_col, std::int64_t len, std::int64_t src_col = 0);
  // Layer `layer`'s keys or values, (batch, NKV, capacity, HD) contiguous in dtype() (fp32
  // floats or fp16 bits), for the decode engine, which writes each row at its own positions.
  void* key_data(std::int64_t layer) { return keys_.at(layer).data_ptr(); }
  void* value_data(std::int64_t layer) { return values_.at(layer).data_ptr(); }
  // Bytes per cached position of one row: every layer's keys and values.
  std::int64_t bytes_per_token() const;

 private:
  std::vector<torch::Tensor> keys_, values_;
  std::int64_t batch_, capacity_, length_ = 0;
  torch::ScalarType dtype_;
  torch::Device device_;
  bool zeroed_ = false;
};

}  // namespace chosei
