#include "train/lm_evaluation.h"

#include "train/causal_lm_loss.h"

namespace chosei {

LossTotals lm_loss_totals(LlamaForCausalLM& model, const std::vector<PackedBatch>& batches) {
  torch::NoGradGuard no_grad;
  model->eval();
  model->invalidate_precision_cache();
  LossTotals totals;
  const auto device = model->device();
  for (const auto& batch : batches) {
    const auto b = on_device(batch, device);
    ForwardOptions fwd;
    fwd.positions = b.positions;
    fwd.attention_mask = b.attention_mask;
    // The head on the labeled rows only, a chunk at a time: no (B, T, V) logits tensor (a
    // batch of 8 x 512 tokens over a 49k vocabulary would be 800 MB of them).
    auto loss =
        model->decode_only()
            ? causal_lm_loss(model->forward(b.input_ids, fwd), b.targets)
            : chunked_causal_lm_loss(*model, model->hidden_states(b.input_ids, fwd), b.targets);
    totals.sum += loss.sum.item<double>();
    totals.count += loss.count;
    totals.correct += loss.correct;
  }
  return totals;
}

}  // namespace chosei
