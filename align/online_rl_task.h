#pragma once
// OnlineRlTask: RLOO (align/rloo_loss.h) and GRPO (align/grpo_loss.h) on the shared
// training loop. An epoch is the prompts in a (seed, epoch) order, each repeated k (RLOO)
// or G (GRPO) times; a micro-batch is `completions_per_batch` of those slots and a step
// holds whole groups. Before each step's first gradient (roll_out) every process samples
// its micro-batches' completions from the policy as it is now, scores them
// (align/completion_rewards.h) and takes the reference's log-probs; the rewards of the
// whole step are summed across processes so every process computes the same group
// baselines, advantages and normalizer.
//
// One optimization pass per generation (TRL's num_iterations = 1): the sampling policy is
// the policy itself, so the old log-probs are the policy's own, detached (ratio 1, the
// clip inactive, as in TRL). Dropout stays off (TRL's disable_dropout). With LoRA the
// reference is the base with adapters disabled; with beta = 0 there is none.

#include <memory>
#include <vector>

#include "align/completion_rewards.h"
#include "align/grpo_loss.h"
#include "align/rollouts.h"
#include "train/training_task.h"

namespace chosei {

enum class OnlineMethod { kRloo, kGrpo };

struct OnlineSettings {
  OnlineMethod method = OnlineMethod::kRloo;
  std::int64_t num_generations = 2;
  std::int64_t completions_per_batch = 2;  // a micro-batch
  std::int64_t completions_per_step = 2;   // every micro-batch of a step, every process
  RolloutSampling sampling;
  double beta = 0.05, epsilon_low = 0.2, epsilon_high = 0.2;
  LossAggregation aggregation = LossAggregation::kDapo;
  RewardScaling scaling = RewardScaling::kGroup;
  bool packing = true;
  std::int64_t max_seq_len = 1024;
  TokenId pad_id = 0;
};

// The reference the KL is taken to: a model of its own, the policy's base (LoRA), or none.
struct OnlineReference {
  LlamaForCausalLM model{nullptr};
  bool lora_base = false;
  bool present() const { return lora_base || model; }
};

class OnlineRlTask : public TrainingTask {
 public:
  OnlineRlTask(AnsweringModel policy, OnlineReference reference, std::vector<PromptRecord> train,
               std::vector<PromptRecord> eval, std::shared_ptr<CompletionRewards> rewards,
               OnlineSettings settings);

  TrainingBatches train_batches(std::int64_t epoch, std::uint64_t seed) override;
  bool online() const override { return true; }
  RolledOutStep roll_out(const TrainingBatches& step, const StepContext& context) override;
  BatchLoss loss(const TrainingBatch& batch) override;
  bool has_eval() const override { return !eval_.empty(); }
  std::map<std::string, double> evaluate() override;
  void set_training(bool training) override;
  void weights_changed() override;

  std::size_t prompts_per_epoch() const;

 private:
  struct Scored;
  Scored sample_and_score(const std::vector<PromptRecord>& prompts,
                          const std::vector<RolloutSlot>& slots);
  torch::Tensor reference_token_logps(const struct LogpBatch& batch);

  AnsweringModel policy_;
  OnlineReference reference_;
  std::vector<PromptRecord> train_, eval_;
  std::shared_ptr<CompletionRewards> rewards_;
  OnlineSettings settings_;
};

}  // namespace chosei
