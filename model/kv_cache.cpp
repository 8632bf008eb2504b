#include "model/kv_cache.h"

#include <stdexcept>
#include <string>

#include "model/model_config.h"

namespace chosei {

KvCache::KvCache(const ModelConfig& config, std::int64_t batch, std::int64_t capacity)
    : batch_(batch), capacity_(capacity) {
  const auto shape = std::vector<std::int64_t>{batch, config.num_key_value_heads, capacity,
                                               config.effective_head_dim()};
  for (std::int64_t l = 0; l < config.num_hidden_layers; ++l) {
    keys_.push_back(torch::zeros(shape));
    values_.push_back(torch::zeros(shape));
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

void KvCache::truncate(std::int64_t length) {
  if (length < 0 || length > length_)
    throw std::out_of_range("KV cache truncate to " + std::to_string(length) + " outside [0, " +
                            std::to_string(length_) + "]");
  length_ = length;
}

}  // namespace chosei
