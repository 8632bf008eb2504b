#pragma once
// ClassificationTask: a sequence classifier learning from labeled texts on the shared
// training loop. Each micro-batch holds `batch_size` texts (packed or padded; the logits read
// at each text's last token); the loss is summed over texts (classifier/classification_loss.h),
// so the loop normalizes by the texts of the whole accumulated batch. Evaluation: loss,
// exact match, and per category F1 (at 0.5) and AUROC, macro-averaged.

#include <vector>

#include "classifier/classification_loss.h"
#include "datasets/classification_data.h"
#include "model/sequence_classifier.h"
#include "train/training_task.h"

namespace chosei {

struct ClassificationBatching {
  std::int64_t texts_per_batch = 16;
  std::int64_t max_seq_len = 512;
  bool packing = true;
  TokenId pad_id = 0;
};

// The probability of every head label for each example, without gradients, in batches.
std::vector<std::vector<double>> classify_examples(LlamaForSequenceClassification& model,
                                                   const std::vector<PromptAnswerIds>& ids,
                                                   ClassificationProblem problem,
                                                   const ClassificationBatching& batching);

// The training target of examples: (N, C) 0/1 for multi-label; (N) class for single-label
// (0 the negative, category c at c + 1). Throws when a single-label example has two labels.
torch::Tensor classification_targets(const std::vector<const ClassificationExample*>& examples,
                                     std::int64_t num_head_labels, ClassificationProblem problem);

class ClassificationTask : public TrainingTask {
 public:
  ClassificationTask(LlamaForSequenceClassification model, std::vector<ClassificationExample> train,
                     std::vector<ClassificationExample> eval, ClassificationBatching batching,
                     ClassificationProblem problem);

  TrainingBatches train_batches(std::int64_t epoch, std::uint64_t seed) override;
  BatchLoss loss(const TrainingBatch& batch) override;
  bool has_eval() const override { return !eval_.empty(); }
  std::map<std::string, double> evaluate() override;
  void set_training(bool training) override;
  void weights_changed() override;

  // Head probabilities of every eval example (for thresholds and the final report).
  std::vector<std::vector<double>> eval_probabilities();
  const std::vector<ClassificationExample>& eval_examples() const { return eval_; }
  std::size_t train_texts() const { return train_.size(); }

 private:
  LlamaForSequenceClassification model_;
  std::vector<ClassificationExample> train_, eval_;
  ClassificationBatching batching_;
  ClassificationProblem problem_;
};

}  // namespace chosei
