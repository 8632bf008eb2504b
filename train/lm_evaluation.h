#pragma once
// Language-model loss over prepared batches without gradients: what the trainer's
// evaluations and `chosei eval` both report (mean next-token cross-entropy per target).

#include <cmath>
#include <vector>

#include "datasets/packed_batch.h"
#include "model/llama_model.h"

namespace chosei {

struct LossTotals {
  double sum = 0;
  std::int64_t count = 0, correct = 0;
  double mean() const { return count ? sum / double(count) : std::nan(""); }
  double token_accuracy() const { return count ? double(correct) / double(count) : std::nan(""); }
};

// Puts the model in eval mode and rebuilds its inference caches first (training may have
// changed the weights since they were made).
LossTotals lm_loss_totals(LlamaForCausalLM& model, const std::vector<PackedBatch>& batches);

}  // namespace chosei
