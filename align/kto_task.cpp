#include "align/kto_task.h"

#include <numeric>
#include <stdexcept>

#include "align/kto_loss.h"
#include "align/sequence_logps.h"
#include "train/epoch_order.h"
#include "train/evaluation_means.h"

namespace chosei {

namespace {

struct KtoBatch : TrainingBatch {
  LogpBatch sequences;  // completion, mismatched, completion, mismatched, ...
  torch::Tensor ref_completion, ref_mismatched, desirable;
};

torch::Tensor even(const torch::Tensor& t) { return t.slice(0, 0, t.size(0), 2); }
torch::Tensor odd(const torch::Tensor& t) { return t.slice(0, 1, t.size(0), 2); }
double total(const torch::Tensor& t) { return t.sum().item<double>(); }

}  // namespace

KtoTask::KtoTask(LlamaForCausalLM policy, ScoredKtoExamples train, ScoredKtoExamples eval,
                 KtoSettings settings, PreferenceBatching batching)
    : policy_(std::move(policy)),
      train_(std::move(train)),
      eval_(std::move(eval)),
      settings_(settings),
      batching_(batching) {
  if (train_.examples.empty()) throw std::invalid_argument("no training examples");
  for (const auto* d : {&train_, &eval_})
    if (d->reference.chosen.size() != d->examples.size())
      throw std::invalid_argument("kto needs the reference's log-probabilities of every example");
}

TrainingBatches KtoTask::batches_of(const ScoredKtoExamples& data,
                                    const std::vector<std::size_t>& which) const {
  TrainingBatches out;
  const auto step = static_cast<std::size_t>(batching_.pairs_per_batch);
  for (std::size_t start = 0; start < which.size(); start += step) {
    const std::size_t end = std::min(which.size(), start + step);
    std::vector<const PromptAnswerIds*> seqs;
    std::vector<double> ref_c, ref_m;
    std::vector<std::uint8_t> good;
    std::int64_t tokens = 0;
    for (std::size_t k = start; k < end; ++k) {
      const auto& e = data.examples[which[k]];
      seqs.push_back(&e.completion), seqs.push_back(&e.mismatched);
      tokens += static_cast<std::int64_t>(e.completion.ids.size() + e.mismatched.ids.size());
      ref_c.push_back(data.reference.chosen[which[k]]);
      ref_m.push_back(data.reference.rejected[which[k]]);
      good.push_back(e.desirable);
    }
    auto b = std::make_shared<KtoBatch>();
    b->sequences = make_logp_batch(
        seqs, batching_.packing, static_cast<std::size_t>(batching_.max_seq_len), batching_.pad_id);
    b->ref_completion = torch::tensor(ref_c, torch::kDouble).to(torch::kFloat32);
    b->ref_mismatched = torch::tensor(ref_m, torch::kDouble).to(torch::kFloat32);
    b->desirable = torch::tensor(good, torch::kUInt8).to(torch::kBool);
    b->count = static_cast<std::int64_t>(end - start);
    b->tokens = tokens;
    out.push_back(std::move(b));
  }
  return out;
}

TrainingBatches KtoTask::train_batches(std::int64_t epoch, std::uint64_t seed) {
  return batches_of(train_, epoch_order(train_.examples.size(), seed, epoch));
}

BatchLoss KtoTask::loss(const TrainingBatch& batch) {
  const auto& b = static_cast<const KtoBatch&>(batch);
  const auto s = sequence_logps(policy_, b.sequences);
  KtoInputs in{even(s.answer_sum), b.ref_completion, b.desirable, odd(s.answer_sum),
               b.ref_mismatched};
  const auto l =
      kto_loss(in, settings_.beta, settings_.desirable_weight, settings_.undesirable_weight);
  const auto good = b.desirable.to(torch::kFloat32), bad = 1 - good;
  const auto logps = in.policy.detach();
  BatchLoss out;
  out.sum = l.losses.sum();
  out.metric_sums = {{"rewards/chosen", total(l.rewards * good)},
                     {"units/rewards/chosen", total(good)},
                     {"rewards/rejected", total(l.rewards * bad)},
                     {"units/rewards/rejected", total(bad)},
                     {"logps/chosen", total(logps * good)},
                     {"units/logps/chosen", total(good)},
                     {"logps/rejected", total(logps * bad)},
                     {"units/logps/rejected", total(bad)},
                     {"kl", l.kl.item<double>() * static_cast<double>(b.count)}};
  return out;
}

std::map<std::string, double> KtoTask::evaluate() {
  std::vector<std::size_t> all(eval_.examples.size());
  std::iota(all.begin(), all.end(), 0);
  return evaluation_means(*this, batches_of(eval_, all), static_cast<double>(all.size()));
}

void KtoTask::set_training(bool training) { policy_->train(training); }

void KtoTask::weights_changed() { policy_->invalidate_precision_cache(); }

}  // namespace chosei
