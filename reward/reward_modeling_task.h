#pragma once
// RewardModelingTask: a reward model learning from preference pairs on the shared training
// loop. Each micro-batch holds `batch_size` pairs (both sides in one forward pass, packed
// or padded: reward/pair_batch.h); the loss is the Bradley-Terry sum over pairs
// (reward/bradley_terry_loss.h), so the loop normalizes by the pairs of the whole
// accumulated batch. Metrics, as TRL and OpenRLHF log them: accuracy (r_c > r_r), margin
// (mean r_c - r_r), mean chosen and rejected reward; evaluation adds their std and the
// mean/std of every reward (saved with the model so scores can be normalized).

#include <vector>

#include "datasets/preference_example.h"
#include "model/sequence_classifier.h"
#include "reward/pair_scores.h"
#include "train/training_task.h"

namespace chosei {

struct RewardBatching {
  std::int64_t pairs_per_batch = 8;
  std::int64_t max_seq_len = 512;
  bool packing = true;
  TokenId pad_id = 0;
  double center_rewards = 0;  // eta of the centering term
  bool shuffle = true;        // false: the file's order every epoch (as TRL's sequential sampler)
};

class RewardModelingTask : public TrainingTask {
 public:
  RewardModelingTask(LlamaForSequenceClassification model, std::vector<PreferenceExample> train,
                     std::vector<PreferenceExample> eval, RewardBatching batching);

  TrainingBatches train_batches(std::int64_t epoch, std::uint64_t seed) override;
  BatchLoss loss(const TrainingBatch& batch) override;
  bool has_eval() const override { return !eval_.empty(); }
  std::map<std::string, double> evaluate() override;
  void set_training(bool training) override;
  void weights_changed() override;

  // Mean and std of every reward on the training set, for runs without an eval set.
  std::pair<double, double> train_reward_mean_std();

  std::size_t train_pairs() const { return train_.size(); }
  std::size_t eval_pairs() const { return eval_.size(); }

 private:
  ScoringOptions scoring_options() const;
  LlamaForSequenceClassification model_;
  std::vector<PreferenceExample> train_, eval_;
  RewardBatching batching_;
};

}  // namespace chosei
