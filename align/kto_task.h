#pragma once
// KtoTask: KTO (align/kto_loss.h) on the shared training loop. A micro-batch holds
// `pairs_per_batch` examples; each example's completion and its mismatched sequence go
// through one packed forward, and the micro-batch's mismatched sequences give its KL
// reference point (the per-step batch, trl#2153). The reference's log-probs of both come
// precomputed (align/reference_logps.h, through kto_scoring_pairs). Metrics as TRL logs
// them: rewards/chosen and logps/chosen over the desirable examples, rewards/rejected and
// logps/rejected over the undesirable ones, and kl.

#include <vector>

#include "align/kto_examples.h"
#include "align/preference_optimization_task.h"
#include "align/reference_logps.h"

namespace chosei {

struct KtoSettings {
  double beta = 0.1, desirable_weight = 1.0, undesirable_weight = 1.0;
};

struct ScoredKtoExamples {
  std::vector<KtoExample> examples;
  ReferenceLogps reference;  // chosen: the completions, rejected: the mismatched sequences
};

class KtoTask : public TrainingTask {
 public:
  KtoTask(LlamaForCausalLM policy, ScoredKtoExamples train, ScoredKtoExamples eval,
          KtoSettings settings, PreferenceBatching batching);

  TrainingBatches train_batches(std::int64_t epoch, std::uint64_t seed) override;
  BatchLoss loss(const TrainingBatch& batch) override;
  bool has_eval() const override { return !eval_.examples.empty(); }
  std::map<std::string, double> evaluate() override;
  void set_training(bool training) override;
  void weights_changed() override;

  TrainingBatches batches_of(const ScoredKtoExamples& data,
                             const std::vector<std::size_t>& which) const;
  std::size_t train_examples() const { return train_.examples.size(); }
  std::size_t eval_examples() const { return eval_.examples.size(); }

 private:
  LlamaForCausalLM policy_;
  ScoredKtoExamples train_, eval_;
  KtoSettings settings_;
  PreferenceBatching batching_;
};

}  // namespace chosei
