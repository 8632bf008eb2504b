#pragma once
// RoPE inverse frequencies and attention factor from RopeParameters, as transformers'
// ROPE_INIT_FUNCTIONS compute them (the same fp32 operations, so the tables match).

#include <torch/torch.h>

#include "model/rope_parameters.h"

namespace chosei {

// The inverse frequencies (d/2,) fp32 for the rotated channels of a head of `head_dim` and
// the factor the cos and sin tables are multiplied by, computed as transformers computes them
// for a forward pass over `sequence_length` positions (0: at initialization; only dynamic and
// longrope read it).
struct RopeFrequencies {
  torch::Tensor inv_freq;
  double attention_factor = 1.0;
};
RopeFrequencies rope_frequencies(const RopeParameters& rope, std::int64_t head_dim,
                                 std::int64_t max_position_embeddings,
                                 std::int64_t sequence_length = 0);

}  // namespace chosei
