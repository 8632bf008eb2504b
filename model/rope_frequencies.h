#pragma once
// RoPE inverse frequencies and attention factor from RopeParameters, as transformers'
// ROPE_INIT_FUNCTIONS compute them (the same fp32 operations, so the tables match).

#include <torch/torch.h>

#include "model/rope_parameters.h"

namespace chosei {

// The inverse frequencies (d/2,) fp32 for head dimension `head_dim` and the factor the cos
// and sin tables are multiplied by, computed as transformers computes them.
struct RopeFrequencies {
  torch::Tensor inv_freq;
  double attention_factor = 1.0;
};
RopeFrequencies rope_frequencies(const RopeParameters& rope, std::int64_t head_dim,
                                 std::int64_t max_position_embeddings);

}  // namespace chosei
