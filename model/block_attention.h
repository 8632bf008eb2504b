#pragma once
// Causal attention for a block of consecutive queries of one head (a prompt's positions on
// one cache row), as two matrix products over the keys instead of one dot product per
// (query, key): every key is loaded once per block, not once per query.

#include <cstdint>

namespace chosei {

struct QueryBlock {
  const float* q;  // first query; query j at q + j * ldq
  std::int64_t ldq;
  std::int64_t count;     // queries in the block
  std::int64_t position;  // the first query's position: query j sees keys [0, position + j]
};

// out[j * ldo + d] = sum_t softmax_t(q_j . K_t * scale) V[t * HD + d] over the keys query j
// sees; K and V hold the row's keys and values at HD floats per position.
void attend_block(const QueryBlock& block, const float* K, const float* V, std::int64_t HD,
                  float scale, float* out, std::int64_t ldo);

}  // namespace chosei
