#include "model/kv_cache.h"

#include <stdexcept>
#include <string>

#include "model/model_config.h"

namespace chosei {

torch::ScalarType parse_kv_cache_type(const std::string& name) {
  if (name == "f32" || name == "fp32") return torch::kFloat32;
  if (name == "f16" || name == "fp16") return torch::kHalf;
  throw std::invalid_argument("KV cache type \"" + name + "\" is not one of f32, f16");
}

KvCache::KvCache(const ModelConfig& config, std::int64_t batch, std::int64_t capacity,
                 torch::ScalarType dtype, torch::Device device)
    : batch_(batch), capacity_(capacity), dtype_(dtype), device_(device) {
  if (dtype != torch::kFloat32 && dtype != torch::kHalf)
    throw std::invalid_argument(std::string("KV cache type ") + c10::toString(dtype) +
                                " is not one of f32, f16");
  const auto shape = std::vector<std::int64_t>{batch, config.num_key_value_heads, capacity,
                                               config.effective_head_dim()};
  // Uninitialized: a column is read only after it was written, and pages of columns no row
  // reaches are never touched (a batch's cache is sized for the longest context).
  for (std::int64_t l = 0; l < config.num_hidden_layers; ++l) {
    keys_.push_back(torch::empty(shape, torch::TensorOptions(dtype).device(device)));
    values_.push_back(torch::empty(shape, torch::TensorOptions(dtype).device(device)));
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
  auto keys = K.narrow(2, 0, length_ + T), values = V.narrow(2, 0, length_ + T);
  if (dtype_ == k.scalar_type()) return {keys, values};
  return {keys.to(k.scalar_type()), values.to(v.scalar_type())};
}

std::pair<torch::Tensor, torch::Tensor> KvCache::store_at_positions(std::int64_t layer,
                                                                    const torch::Tensor& k,
                                                                    const torch::Tensor& v,
                                                                    const torch::Tensor& positions,
                                                                    std::int64_t columns) {
  if (!zeroed_)
    throw std::logic_error(
        "KV cache: store_at_positions on a cache never zeroed (masked columns are read)");
  const auto B = k.size(0), T = k.size(2);
  if (B > batch_ || positions.size(0) != B || positions.size(1) != T)
    throw std::invalid_argument("KV cache: positions (" + std::to_string(positions.size(0)) + ", " +
                                std::to_string(positions.size(1)) + ") for " + std::to_string(B) +
                                " rows of " + std::to_string(T) + " tokens in a cache of " +
                                std::to_string(batch_) + " rows");
  if (columns > capacity_)
    throw std::length_error("KV cache full: position " + std::to_string(columns - 1) +
                            " past its capacity of " + std::to_string(capacity_));
  auto rows = torch::arange(B, positions.options()).unsqueeze(1).expand({B, T});
  auto& K = keys_.at(layer);
  auto& V = values_.at(layer);
  // (B, capacity, NKV, HD) views: the two indexed dimensions first, each (b, t) one slot.
  K.transpose(1, 2).index_put_({rows, positions}, k.transpose(1, 2).to(dtype_));
  V.transpose(1, 2).index_put_({rows, positions}, v.transpose(1, 2).to(dtype_));
  auto keys = K.narrow(0, 0, B).narrow(2, 0, columns);
  auto values = V.narrow(0, 0, B).narrow(2, 0, columns);
  if (dtype_ == k.scalar_type()) return {keys, values};
  return {keys.to(k.scalar_type()), values.to(v.scalar_type())};
}

void KvCache::zero() {
  for (auto& k : keys_) k.zero_();
  for (auto& v : values_) v.zero_();
  zeroed_ = true;
}

std::int64_t KvCache::bytes_per_token() const {
  if (keys_.empty()) return 0;
  const auto& k = keys_.front();
  return 2 * static_cast<std::int64_t>(keys_.size()) * k.size(1) * k.size(3) *
         static_cast<std::int64_t>(k.element_size());
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
