#pragma once
// LanguageModelingTask: next-token prediction over tokenized examples, the objective of
// supervised fine-tuning (labels on assistant tokens only) and of continued pretraining
// (every token labeled). Micro-batches are shuffled per epoch and optionally packed best-fit
// decreasing; the loss is summed over target tokens, so the loop normalizes by the target
// tokens of the whole accumulated batch. Evaluation reports the mean loss per target token
// and its perplexity.

#include <vector>

#include "datasets/packed_batch.h"
#include "model/llama_model.h"
#include "train/training_task.h"

namespace chosei {

struct BatchingOptions {
  std::int64_t batch_size = 8;  // rows per micro-batch
  std::int64_t max_seq_len = 512;
  bool packing = true;
  // false: examples in file order every epoch (runs compared with another tool's
  // sequential sampler, curricula); packed rows are then kept in packing order too.
  bool shuffle = true;
  TokenId pad_id = 0;
};

class LanguageModelingTask : public TrainingTask {
 public:
  LanguageModelingTask(LlamaForCausalLM model, std::vector<SftExample> train,
                       std::vector<SftExample> eval, BatchingOptions batching);

  TrainingBatches train_batches(std::int64_t epoch, std::uint64_t seed) override;
  BatchLoss loss(const TrainingBatch& batch) override;
  bool has_eval() const override { return !eval_batches_.empty(); }
  std::map<std::string, double> evaluate() override;
  void set_training(bool training) override;
  void weights_changed() override;

  const std::vector<SftExample>& train_examples() const { return train_; }
  const std::vector<SftExample>& eval_examples() const { return eval_; }

 private:
  std::vector<PackedBatch> batches(const std::vector<SftExample>& examples, std::int64_t epoch,
                                   std::uint64_t seed) const;
  LlamaForCausalLM model_;
  std::vector<SftExample> train_, eval_;
  BatchingOptions batching_;
  std::vector<PackedBatch> eval_batches_;  // built once, reused at every evaluation
};

}  // namespace chosei
