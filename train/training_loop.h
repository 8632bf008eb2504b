#pragma once
// TrainingLoop: the optimization loop every training stage shares, over any TrainingTask.
// AdamW (train/optimizer_setup.h) with a warmup schedule, gradient accumulation normalized
// by the units of the whole accumulated batch (across processes), gradient-norm clipping,
// an optional L1 penalty, a NaN/Inf guard, evaluation at step 0 and every eval_every steps,
// early stopping on the evaluation loss, atomic checkpoints (keep the last K) and exact
// resume: weights, optimizer, schedule, data order, RNG, early-stopping state and
// metrics.jsonl continue as if the run had never stopped.
//
// The run directory receives metrics.jsonl, checkpoints/step-N/ and, with early stopping,
// best/ (the recipe saves final/).

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/data_parallel.h"
#include "train/lr_schedule.h"
#include "train/optimizer_setup.h"
#include "train/training_task.h"

namespace chosei {

struct TrainingOptions {
  std::string out_dir;
  LrSchedule schedule;         // total_steps is filled in by the loop
  std::int64_t max_steps = 0;  // 0: derive from epochs
  double epochs = 1;
  std::int64_t grad_accum = 1;  // micro-batches per optimizer step (per process)
  double weight_decay = 0.0, beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  double max_grad_norm = 1.0;  // 0: no clipping
  double l1 = 0.0;             // L1 penalty coefficient on decayed parameters
  std::int64_t eval_every = 0, save_every = 0, keep_checkpoints = 2, log_every = 10;
  std::int64_t early_stopping_patience = 0;  // evaluations without improvement; 0: off
  double early_stopping_min_delta = 0.0;
  std::uint64_t seed = 0;
  // A checkpoints/step-N directory, or "auto": the newest complete checkpoint of out_dir
  // (a fresh start when there is none). Empty: a fresh start.
  std::string resume_from;
};

struct TrainResult {
  std::int64_t steps = 0;
  double first_eval_loss = 0, best_eval_loss = 0, last_train_loss = 0;
  std::int64_t best_step = 0;
  bool stopped_early = false;
  std::int64_t skipped_nonfinite = 0;
  std::string resumed_from;  // the checkpoint actually loaded, "" for a fresh start
};

class TrainingLoop {
 public:
  // `trainable`: the parameters to optimize (all of them for full fine-tuning, adapters for
  // LoRA). `save_model(dir)` writes a loadable model (or adapter) directory.
  TrainingLoop(TrainingOptions options, TrainingTask& task, NamedParameters trainable,
               std::function<void(const std::string&)> save_model);

  TrainResult fit();

  // Learning-rate range test (Smith 2015, "Cyclical Learning Rates", arXiv 1506.01186,
  // sec. 3.3): the learning rate grows exponentially from min_lr to max_lr over `steps`
  // optimizer steps, recording the smoothed training loss, stopping once it exceeds four
  // times its best. The suggestion is a tenth of the rate at the smoothed loss's minimum.
  // The weights and optimizer state are restored afterwards.
  struct LrFinding {
    std::vector<std::pair<double, double>> points;  // (lr, smoothed loss)
    double suggested_lr = 0;
  };
  LrFinding find_lr(double min_lr, double max_lr, std::int64_t steps);

 private:
  struct StepOutcome;
  StepOutcome optimizer_step(const TrainingBatches& micro, std::int64_t count, double lr);
  void broadcast_from_rank0();

  TrainingOptions opt_;
  TrainingTask& task_;
  NamedParameters trainable_;
  std::function<void(const std::string&)> save_model_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::shared_ptr<DataParallel> dp_;  // null in a single-process run
  bool writer_ = true;                // rank 0 writes metrics and checkpoints
  bool interactive_ = false;
};

// With early stopping the loop saved the best model as out_dir/best/: it becomes
// `final_dir` (replacing any). Returns false when there is no such model, and the recipe
// saves the model it holds.
bool promote_best_model(const TrainingOptions& options, const std::string& final_dir);

}  // namespace chosei
