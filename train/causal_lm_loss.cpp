#include "train/causal_lm_loss.h"

#include <cmath>

#include "model/activation_checkpoint.h"

namespace chosei {

LossSum causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  const auto V = logits.size(-1);
  auto flat_targets = targets.reshape({-1});
  auto sum = torch::nn::functional::cross_entropy(
      logits.reshape({-1, V}), flat_targets,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  const auto kept = flat_targets.ne(-100);
  std::int64_t correct = 0;
  {
    torch::NoGradGuard no_grad;
    const auto predicted = logits.reshape({-1, V}).argmax(-1);
    correct = predicted.eq(flat_targets).logical_and(kept).sum().item<std::int64_t>();
  }
  return {sum, kept.sum().item<std::int64_t>(), correct};
}

LossSum chunked_causal_lm_loss(LlamaForCausalLMImpl& model, const torch::Tensor& hidden,
                               const torch::Tensor& targets, std::int64_t chunk) {
  const auto flat_targets = targets.reshape({-1});
  const auto rows = flat_targets.ne(-100).nonzero().squeeze(1);
  const auto n = rows.size(0);
  const auto states = hidden.reshape({-1, hidden.size(-1)}).index_select(0, rows);
  const auto wanted = flat_targets.index_select(0, rows);
  // Zero that still reaches the graph, so a batch without targets back-propagates.
  if (n == 0) return {hidden.sum() * 0.0, 0, 0};
  torch::Tensor sum, hits;
  for (std::int64_t start = 0; start < n; start += chunk) {
    const auto length = std::min(chunk, n - start);
    const auto chunk_targets = wanted.narrow(0, start, length);
    // The cross-entropy sum and the argmax hits, stacked: the second needs no gradient.
    auto loss_and_hits = [&model, chunk_targets](const torch::Tensor& x) {
      auto logits = model.logits_from_hidden(x);
      auto loss = torch::nn::functional::cross_entropy(
          logits, chunk_targets,
          torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
      torch::Tensor hits;
      {
        torch::NoGradGuard no_grad;
        hits = logits.argmax(-1).eq(chunk_targets).sum().to(loss.scalar_type());
      }
      return torch::stack({loss, hits});
    };
    auto out = checkpointed(loss_and_hits, states.narrow(0, start, length));
    sum = sum.defined() ? sum + out[0] : out[0];
    hits = hits.defined() ? hits + out[1].detach() : out[1].detach();
  }
  return {sum, n, static_cast<std::int64_t>(std::llround(hits.item<double>()))};
}

}  // namespace chosei
