#include "align/preference_optimization_task.h"

#include <numeric>
#include <stdexcept>

#include "align/sequence_logps.h"
#include "train/epoch_order.h"
#include "train/evaluation_means.h"

namespace chosei {

namespace {

struct PreferenceBatch : TrainingBatch {
  LogpBatch sequences;                     // chosen, rejected, chosen, rejected, ...
  torch::Tensor ref_chosen, ref_rejected;  // (N), undefined without a reference
};

torch::Tensor even(const torch::Tensor& t) { return t.slice(0, 0, t.size(0), 2); }
torch::Tensor odd(const torch::Tensor& t) { return t.slice(0, 1, t.size(0), 2); }

double total(const torch::Tensor& t) { return t.sum().item<double>(); }

}  // namespace

PreferenceOptimizationTask::PreferenceOptimizationTask(LlamaForCausalLM policy, ScoredPairs train,
                                                       ScoredPairs eval,
                                                       PreferenceObjective objective,
                                                       PreferenceBatching batching)
    : policy_(std::move(policy)),
      train_(std::move(train)),
      eval_(std::move(eval)),
      objective_(objective),
      batching_(batching) {
  if (train_.pairs.empty()) throw std::invalid_argument("no training pairs");
  for (const auto* d : {&train_, &eval_})
    if (needs_reference(objective_.method) && d->reference.chosen.size() != d->pairs.size())
      throw std::invalid_argument(to_string(objective_.method) +
                                  " needs the reference's log-probabilities of every pair");
}

TrainingBatches PreferenceOptimizationTask::batches_of(
    const ScoredPairs& data, const std::vector<std::size_t>& which) const {
  TrainingBatches out;
  const auto step = static_cast<std::size_t>(batching_.pairs_per_batch);
  for (std::size_t start = 0; start < which.size(); start += step) {
    const std::size_t end = std::min(which.size(), start + step);
    std::vector<const PromptAnswerIds*> seqs;
    std::vector<double> ref_c, ref_r;
    std::int64_t tokens = 0;
    for (std::size_t k = start; k < end; ++k) {
      const auto& e = data.pairs[which[k]];
      seqs.push_back(&e.chosen), seqs.push_back(&e.rejected);
      tokens += static_cast<std::int64_t>(e.chosen.ids.size() + e.rejected.ids.size());
      if (!data.reference.chosen.empty()) {
        ref_c.push_back(data.reference.chosen[which[k]]);
        ref_r.push_back(data.reference.rejected[which[k]]);
      }
    }
    auto b = std::make_shared<PreferenceBatch>();
    b->sequences = make_logp_batch(
        seqs, batching_.packing, static_cast<std::size_t>(batching_.max_seq_len), batching_.pad_id);
    if (!ref_c.empty()) {
      b->ref_chosen = torch::tensor(ref_c, torch::kDouble).to(torch::kFloat32);
      b->ref_rejected = torch::tensor(ref_r, torch::kDouble).to(torch::kFloat32);
    }
    b->count = static_cast<std::int64_t>(end - start);
    b->tokens = tokens;
    out.push_back(std::move(b));
  }
  return out;
}

TrainingBatches PreferenceOptimizationTask::train_batches(std::int64_t epoch, std::uint64_t seed) {
  return batches_of(train_, epoch_order(train_.pairs.size(), seed, epoch));
}

BatchLoss PreferenceOptimizationTask::loss(const TrainingBatch& batch) {
  const auto& b = static_cast<const PreferenceBatch&>(batch);
  const auto s = sequence_logps(policy_, b.sequences);
  PairLogps p;
  p.chosen = even(s.answer_sum), p.rejected = odd(s.answer_sum);
  p.chosen_tokens = even(s.answer_tokens), p.rejected_tokens = odd(s.answer_tokens);
  p.ref_chosen = b.ref_chosen, p.ref_rejected = b.ref_rejected;
  ChosenNll nll;
  nll.answer = -p.chosen_avg();
  nll.sequence = -PairLogps::averaged(even(s.all_sum), even(s.all_tokens));
  const auto t = preference_objective(objective_, p, nll);
  const auto& r = t.pair;
  BatchLoss out;
  out.sum = t.losses.sum();
  out.metric_sums = {{"rewards/chosen", total(r.chosen_rewards)},
                     {"rewards/rejected", total(r.rejected_rewards)},
                     {"rewards/margins", total(r.chosen_rewards - r.rejected_rewards)},
                     {"rewards/accuracies", total(r.chosen_rewards.gt(r.rejected_rewards))},
                     {"logps/chosen", total(p.chosen.detach())},
                     {"logps/rejected", total(p.rejected.detach())},
                     {"nll_loss", total(t.nll)}};
  if (r.log_odds.defined()) {
    out.metric_sums["log_odds_ratio"] = total(torch::log_sigmoid(r.log_odds));
    out.metric_sums["log_odds_chosen"] = total(r.log_odds);
  }
  return out;
}

std::map<std::string, double> PreferenceOptimizationTask::evaluate() {
  std::vector<std::size_t> all(eval_.pairs.size());
  std::iota(all.begin(), all.end(), 0);
  return evaluation_means(*this, batches_of(eval_, all), static_cast<double>(all.size()));
}

void PreferenceOptimizationTask::set_training(bool training) { policy_->train(training); }

void PreferenceOptimizationTask::weights_changed() { policy_->invalidate_precision_cache(); }

}  // namespace chosei
