#include "datasets/packed_batch.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>

namespace chosei {

std::vector<std::vector<std::size_t>> pack_best_fit_decreasing(
    const std::vector<std::size_t>& lengths, std::size_t capacity) {
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  std::vector<std::vector<std::size_t>> bins;
  std::multimap<std::size_t, std::size_t> room;  // remaining capacity -> bin
  for (auto i : order) {
    if (lengths[i] > capacity)
      throw std::invalid_argument("example of " + std::to_string(lengths[i]) +
                                  " tokens exceeds the packing capacity " +
                                  std::to_string(capacity));
    auto it = room.lower_bound(lengths[i]);  // the tightest bin that fits
    if (it == room.end()) {
      bins.push_back({i});
      room.emplace(capacity - lengths[i], bins.size() - 1);
    } else {
      auto bin = it->second;
      auto left = it->first - lengths[i];
      room.erase(it);
      bins[bin].push_back(i);
      room.emplace(left, bin);
    }
  }
  return bins;
}

std::vector<PackedBatch> make_batches(const std::vector<SftExample>& examples,
                                      const std::vector<std::size_t>& order, bool pack,
                                      std::size_t capacity, std::size_t rows_per_batch,
                                      TokenId pad_id, std::mt19937_64* row_shuffle) {
  std::vector<std::vector<std::size_t>> rows;
  if (pack) {
    std::vector<std::size_t> lengths;
    for (auto i : order) lengths.push_back(examples.at(i).ids.size());
    for (auto& bin : pack_best_fit_decreasing(lengths, capacity)) {
      for (auto& k : bin) k = order[k];
      rows.push_back(std::move(bin));
    }
    if (row_shuffle) std::shuffle(rows.begin(), rows.end(), *row_shuffle);
  } else {
    for (auto i : order) rows.push_back({i});
  }
  std::vector<PackedBatch> batches;
  const std::size_t step = std::max<std::size_t>(1, rows_per_batch);
  for (std::size_t r = 0; r < rows.size(); r += step) {
    std::vector<std::vector<std::size_t>> chunk(rows.begin() + r,
                                                rows.begin() + std::min(rows.size(), r + step));
    batches.push_back(make_batch(examples, chunk, pad_id));
  }
  return batches;
}

PackedBatch make_batch(const std::vector<SftExample>& examples,
                       const std::vector<std::vector<std::size_t>>& rows, TokenId pad_id,
                       std::int64_t pad_to) {
  const auto B = static_cast<std::int64_t>(rows.size());
  std::int64_t T = pad_to;
  for (const auto& row : rows) {
    std::int64_t n = 0;
    for (auto i : row) n += static_cast<std::int64_t>(examples.at(i).ids.size());
    T = std::max(T, n);
  }
  PackedBatch b;
  b.input_ids = torch::full({B, T}, static_cast<std::int64_t>(pad_id), torch::kLong);
  b.targets = torch::full({B, T}, static_cast<std::int64_t>(kIgnoreLabel), torch::kLong);
  b.positions = torch::zeros({B, T}, torch::kLong);
  auto doc =
      torch::full({B, T}, -1, torch::kLong);  // document index within the row; pads get their own
  auto ids = b.input_ids.accessor<std::int64_t, 2>();
  auto tg = b.targets.accessor<std::int64_t, 2>();
  auto pos = b.positions.accessor<std::int64_t, 2>();
  auto dc = doc.accessor<std::int64_t, 2>();
  for (std::int64_t r = 0; r < B; ++r) {
    std::int64_t t = 0, d = 0;
    for (auto i : rows[r]) {
      const auto& ex = examples[i];
      const auto n = static_cast<std::int64_t>(ex.ids.size());
      for (std::int64_t k = 0; k < n; ++k, ++t) {
        ids[r][t] = ex.ids[k];
        pos[r][t] = k;
        dc[r][t] = d;
        if (k + 1 < n && ex.labels[k + 1] != kIgnoreLabel) {
          tg[r][t] = ex.labels[k + 1];
          ++b.target_tokens;
        }
      }
      b.tokens += n;
      ++d;
    }
    for (std::int64_t k = t; k < T; ++k) dc[r][k] = d + (k - t);  // each pad attends to itself only
  }
  auto same_doc = doc.unsqueeze(2).eq(doc.unsqueeze(1));                // (B, T, T)
  auto causal = torch::ones({T, T}, torch::kBool).tril().unsqueeze(0);  // (1, T, T)
  b.attention_mask = same_doc.logical_and(causal);
  return b;
}

PackedBatch on_device(const PackedBatch& batch, const torch::Device& device) {
  if (batch.input_ids.device() == device) return batch;
  PackedBatch b = batch;
  b.input_ids = batch.input_ids.to(device);
  b.targets = batch.targets.to(device);
  b.positions = batch.positions.to(device);
  b.attention_mask = batch.attention_mask.to(device);
  return b;
}

}  // namespace chosei
