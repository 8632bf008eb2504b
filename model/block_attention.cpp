// The scores of the block as one GEMM (queries x keys), the causal mask and a softmax
// over rows, then the weighted values as a second GEMM; ATen's mm (BLAS) and vectorized exp.

#include "model/block_attention.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>

namespace chosei {

void attend_block(const QueryBlock& block, const float* K, const float* V, std::int64_t HD,
                  float scale, float* out, std::int64_t ldo) {
  const auto n = block.count, L = block.position + n;
  auto q = torch::from_blob(const_cast<float*>(block.q), {n, HD}, {block.ldq, 1});
  auto keys = torch::from_blob(const_cast<float*>(K), {L, HD});
  auto values = torch::from_blob(const_cast<float*>(V), {L, HD});
  auto scores = torch::mm(q, keys.t());
  float* s = scores.data_ptr<float>();
  const float minus_infinity = -std::numeric_limits<float>::infinity();
  for (std::int64_t j = 0; j < n; ++j) {
    float* row = s + j * L;
    const auto seen = block.position + j + 1;
    float top = minus_infinity;
    for (std::int64_t t = 0; t < seen; ++t) top = std::max(top, row[t] *= scale);
    for (std::int64_t t = 0; t < seen; ++t) row[t] -= top;
    std::fill(row + seen, row + L, minus_infinity);
  }
  scores.exp_();
  auto sums = scores.sum(1, true);
  auto o = torch::mm(scores, values).div_(sums);
  const float* r = o.data_ptr<float>();
  for (std::int64_t j = 0; j < n; ++j) std::copy(r + j * HD, r + (j + 1) * HD, out + j * ldo);
}

}  // namespace chosei
