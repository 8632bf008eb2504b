#pragma once
// The check every "matches PyTorch" test ends with: each parameter's gradient against the
// "grad.<name>" tensor a reference program (tests/reference/*.py) wrote.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"

namespace chosei::test {

// Expects every gradient within `tolerance` of the reference's; returns the largest gap.
inline double expect_gradients_match(torch::nn::Module& model, const SafetensorsReader& reference,
                                     double tolerance = 1e-4) {
  double worst = 0;
  for (auto& p : model.named_parameters()) {
    const auto expected = tensor_from_view(reference.tensor("grad." + p.key()));
    if (!p.value().grad().defined()) {
      ADD_FAILURE() << p.key() << ": no gradient";
      continue;
    }
    const double d = (p.value().grad() - expected).abs().max().item<double>();
    worst = std::max(worst, d);
    EXPECT_LT(d, tolerance) << p.key();
  }
  return worst;
}

}  // namespace chosei::test
