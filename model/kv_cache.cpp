#include "model/kv_cache.h"

#include <stdexcept>
#include <string>

#include "model/model_config.h"

namespace chosei {

KvCache::KvCache(const ModelConfig& config, std::int64_t batch, std::int64_t capacity)
    : batch_(batch), capacity_(capacity) {
  const auto shape = std::vector<std::int64_t>{batch, config.num_key_value_heads, capacity,
                                               config.effective_head_dim()};
  // Uninitialized: a column is read only after it was written, and pages of columns no row
  // reaches are never touched (a batch's cache is sized for the longest context).
  for (std::int64_t l = 0; l < config.num_hidden_layers; ++l) {
    keys_.push_back(torch::empty(shape));
    values_.push_back(torch::empty(shape));
  }
}

std::pair<torch::Tensor, torch::Tensor> KvCache::append(std::int64_t layer, const torch::Tensor& k,
                                                        const torch::Tensor& v) {
  const auto T = k.size(2);
  if (length_ + T > capacity_)
    throw std::length_error("KV cache full: " + std::to_string(length_) + " + " +
                            std::to_string(T) + " positions exceed its capacity of " +
                            std::to_string(capacity_));
  auto& K = keys_.at(layer);
  auto& V = values_.at(layer);
  K.narrow(2, length_, T).copy_(k);
  V.narrow(2, length_, T).copy_(v);
  return {K.narrow(2, 0, length_ + T), V.narrow(2, 0, length_ + T)};
}

void KvCache::copy_row_from(const KvCache& src, std::int64_t src_row, std::int64_t dst_row,
                            std::int64_t dst_col, std::int64_t len, std::int64_t src_col) {
  if (dst_col + len > capacity_) throw std::length_error("KV cache full while copying a row");
  for (std::size_t l = 0; l < keys_.size(); ++l) {
    keys_[l][dst_row].narrow(1, dst_col, len).copy_(src.keys_[l][src_row].narrow(1, src_col, len));
    values_[l][dst_row]
        .narrow(1, dst_col, len)
        .copy_(src.values_[l][src_row].narrow(1, src_col, len));
  }
}

}  // namespace chosei
