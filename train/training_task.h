#pragma once
// TrainingTask: the part of a training stage that knows its objective. The loop in
// train/training_loop.h owns optimization (schedule, accumulation, clipping, checkpoints,
// data parallelism, logging) and asks a task for three things only: the micro-batches of
// an epoch, the loss of one micro-batch, and held-out metrics. The causal-LM objective of
// sft/ and pretraining is one task; the reward model and the DPO family are others.
//
// A loss is returned as a sum over countable units (target tokens, sequences, pairs) with
// the count stored in the batch, so the loop can normalize by the units of the whole
// accumulated batch across every process: 1x8 and 4x2 micro-batches give the same update.

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace chosei {

// One micro-batch as a task built it. The loop reads only its sizes; the task downcasts.
struct TrainingBatch {
  virtual ~TrainingBatch() = default;
  std::int64_t count = 0;    // units the loss sums over (the normalizer)
  std::int64_t tokens = 0;   // tokens processed, for throughput
  std::int64_t samples = 0;  // completions generated for it (online tasks), for samples/s
};
using TrainingBatches = std::vector<std::shared_ptr<const TrainingBatch>>;

// What an online task needs from the loop to build a step: which micro-batches are this
// process's, and a sum over every process (identity in a single-process run).
struct StepContext {
  int world = 1, rank = 0;
  std::function<void(const std::vector<torch::Tensor>&)> all_reduce_sum;
};

// A step's batches as an online task made them: this process's micro-batches, and the
// units of the whole step across processes (known only once completions exist).
struct RolledOutStep {
  TrainingBatches mine;
  std::int64_t count = 0;
};

// A metric that is a mean over other units than the loss's (KTO's rewards/chosen is a mean
// over the desirable examples only) comes with "units/" + its name: the loop logs
// sum / units (nothing when there are none) and does not log the units themselves.
inline const std::string kMetricUnits = "units/";

struct BatchLoss {
  torch::Tensor sum;                          // scalar, differentiable: summed over `count`
  std::map<std::string, double> metric_sums;  // summed over the same units; logged as means
};

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  // The micro-batches of training epoch `epoch` in training order: the same for the same
  // (epoch, seed) in every process and after a resume.
  virtual TrainingBatches train_batches(std::int64_t epoch, std::uint64_t seed) = 0;
  // The loss of one micro-batch, in training mode (gradients recorded).
  virtual BatchLoss loss(const TrainingBatch& batch) = 0;

  // Online tasks (RLOO, GRPO) make their data from the current weights: the loop hands
  // each step's micro-batches (every process's, in order; process r owns every world-th)
  // to roll_out before the first gradient, and trains on what it returns.
  virtual bool online() const { return false; }
  virtual RolledOutStep roll_out(const TrainingBatches& step, const StepContext& context) {
    (void)step, (void)context;
    throw std::logic_error("roll_out: not an online task");
  }

  virtual bool has_eval() const = 0;
  // Held-out metrics by name; "loss" is the one early stopping watches. No gradients; the
  // model is left in training mode.
  virtual std::map<std::string, double> evaluate() = 0;

  // Switches the model between training (dropout on) and inference mode.
  virtual void set_training(bool training) = 0;
  // The weights changed behind the model's back (a restore, the end of training): drop
  // inference caches derived from them. Training-mode forwards never use such caches.
  virtual void weights_changed() {}
};

}  // namespace chosei
