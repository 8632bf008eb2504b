#pragma once
// Blending a general dataset into a domain's SFT data (the `mix` and `mix_share` run keys):
// replaying general instruction data while fine-tuning is the standard guard against
// catastrophic forgetting (Scialom et al. 2022, arXiv 2205.12393: rehearsal of a small share
// of earlier data). The general examples are tokenized as the domain's are, so
// the same template and loss mask apply.

#include <cstdint>
#include <vector>

#include "datasets/sft_example.h"

namespace chosei {

struct DataMix {
  std::vector<SftExample> examples;  // domain and general, the general ones spread evenly
  std::int64_t general = 0;          // how many came from the general data
  double share = 0;                  // general / examples.size()
};

// `domain` with round(|domain| * share / (1 - share)) examples of `general` drawn without
// replacement (seeded: the same every run), so they make `share` of the result, and spread
// evenly through it (a run without shuffling still meets them all along). When `general`
// has fewer, all of them are used and the result's share says so. 0 < share < 1.
DataMix mix_general_examples(std::vector<SftExample> domain, std::vector<SftExample> general,
                             double share, std::uint64_t seed);

}  // namespace chosei
