#pragma once
// PreferenceOptimizationTask: the offline preference objectives (align/preference_objective.h)
// as a task on the shared training loop. A micro-batch holds `pairs_per_batch` pairs, both
// answers of each in one packed forward (align/sequence_logps.h); the reference's
// log-probabilities come precomputed with the pairs (align/reference_logps.h). The loss is a
// sum over pairs, so the loop normalizes by the pairs of the whole accumulated batch.
// Metrics carry TRL's names: rewards/chosen, rewards/rejected, rewards/margins,
// rewards/accuracies, logps/chosen, logps/rejected, nll_loss, and for ORPO log_odds_ratio
// and log_odds_chosen.

#include <vector>

#include "align/preference_objective.h"
#include "align/reference_logps.h"
#include "datasets/preference_example.h"
#include "model/llama_model.h"
#include "train/training_task.h"

namespace chosei {

struct PreferenceBatching {
  std::int64_t pairs_per_batch = 8;
  std::int64_t max_seq_len = 512;
  bool packing = true;
  TokenId pad_id = 0;
};

// Pairs with the reference's log-probabilities of their answers (empty for SimPO and ORPO).
struct ScoredPairs {
  std::vector<PreferenceExample> pairs;
  ReferenceLogps reference;
};

class PreferenceOptimizationTask : public TrainingTask {
 public:
  PreferenceOptimizationTask(LlamaForCausalLM policy, ScoredPairs train, ScoredPairs eval,
                             PreferenceObjective objective, PreferenceBatching batching);

  TrainingBatches train_batches(std::int64_t epoch, std::uint64_t seed) override;
  BatchLoss loss(const TrainingBatch& batch) override;
  bool has_eval() const override { return !eval_.pairs.empty(); }
  std::map<std::string, double> evaluate() override;
  void set_training(bool training) override;
  void weights_changed() override;

  // The batches of `which` pairs of `data`, in that order.
  TrainingBatches batches_of(const ScoredPairs& data, const std::vector<std::size_t>& which) const;
  std::size_t train_pairs() const { return train_.pairs.size(); }
  std::size_t eval_pairs() const { return eval_.pairs.size(); }

 private:
  LlamaForCausalLM policy_;
  ScoredPairs train_, eval_;
  PreferenceObjective objective_;
  PreferenceBatching batching_;
};

}  // namespace chosei
