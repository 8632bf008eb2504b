#pragma once
// Trainer: the optimization loop every training stage shares. It takes tokenized examples,
// builds (optionally packed) micro-batches, and runs AdamW (Loshchilov & Hutter 2017,
// arXiv 1711.05101, Algorithm 2: decoupled weight decay) with a warmup schedule, gradient
// accumulation normalized by the target tokens of the whole accumulated batch, gradient
// norm clipping, an optional L1 penalty, a NaN/Inf guard, evaluation at step 0 and every
// eval_every steps, early stopping on the evaluation loss, atomic checkpoints (keep the
// last K) and exact resume.
//
// The run directory receives metrics.jsonl (one JSON object per logged step and per
// evaluation), checkpoints/step-N/ and final/.

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "datasets/packed_batch.h"
#include "model/llama_model.h"
#include "train/data_parallel.h"
#include "train/lr_schedule.h"

namespace chosei {

struct TrainerOptions {
  std::string out_dir;
  LrSchedule schedule;         // total_steps is filled in by the trainer
  std::int64_t max_steps = 0;  // 0: derive from epochs
  double epochs = 1;
  std::int64_t batch_size = 8;  // rows per micro-batch
  std::int64_t grad_accum = 1;  // micro-batches per optimizer step
  std::int64_t max_seq_len = 512;
  bool packing = true;
  double weight_decay = 0.0, beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  double max_grad_norm = 1.0;  // 0: no clipping
  double l1 = 0.0;             // L1 penalty coefficient on decayed parameters
  std::int64_t eval_every = 0, save_every = 0, keep_checkpoints = 2, log_every = 10;
  std::int64_t early_stopping_patience = 0;  // evaluations without improvement; 0: off
  double early_stopping_min_delta = 0.0;
  std::uint64_t seed = 0;
  std::string resume_from;  // a checkpoints/step-N directory
  TokenId pad_id = 0;
};

struct TrainResult {
  std::int64_t steps = 0;
  double first_eval_loss = 0, best_eval_loss = 0, last_train_loss = 0;
  std::int64_t best_step = 0;
  bool stopped_early = false;
  std::int64_t skipped_nonfinite = 0;
};

class Trainer {
 public:
  // `trainable`: the parameters to optimize (all of them for full fine-tuning, adapters for
  // LoRA). `save_model(dir)` writes a loadable model (or adapter) directory.
  Trainer(TrainerOptions options, LlamaForCausalLM model,
          std::vector<std::pair<std::string, torch::Tensor>> trainable,
          std::function<void(const std::string&)> save_model);

  TrainResult fit(const std::vector<SftExample>& train, const std::vector<SftExample>& eval);

  // Mean loss per target token over `examples` (no gradients).
  double evaluate(const std::vector<SftExample>& examples);

  // Learning-rate range test (Smith 2015, "Cyclical Learning Rates", arXiv 1506.01186,
  // sec. 3.3): the learning rate grows exponentially from min_lr to max_lr over `steps`
  // optimizer steps, recording the smoothed training loss, stopping once it exceeds four
  // times its best. The suggestion is a tenth of the rate at the smoothed loss's minimum.
  // The model's weights and optimizer state are restored afterwards.
  struct LrFinding {
    std::vector<std::pair<double, double>> points;  // (lr, smoothed loss)
    double suggested_lr = 0;
  };
  LrFinding find_lr(const std::vector<SftExample>& train, double min_lr, double max_lr,
                    std::int64_t steps);

 private:
  std::vector<PackedBatch> epoch_batches(const std::vector<SftExample>& examples,
                                         std::int64_t epoch) const;
  double evaluate_batches(const std::vector<PackedBatch>& batches);
  void log_metrics(const nlohmann::json& line);
  void save_checkpoint(std::int64_t step, const nlohmann::json& state);
  nlohmann::json load_checkpoint(const std::string& dir);

  TrainerOptions opt_;
  LlamaForCausalLM model_;
  std::vector<std::pair<std::string, torch::Tensor>> trainable_;
  std::function<void(const std::string&)> save_model_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::shared_ptr<DataParallel> dp_;  // null in a single-process run
  bool writer_ = true;                // rank 0 writes metrics and checkpoints
  bool interactive_ = false;
};

}  // namespace chosei
