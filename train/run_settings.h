#pragma once
// The run keys every training recipe shares (sft, pretrain, reward, align), read from a
// RunConfig once so that each recipe spells them the same way: optimization and schedule
// (learning_rate, max_steps, epochs, grad_accum, warmup_steps, ...), batching (batch_size,
// max_seq_len, packing), checkpoints and resume (save_every, keep_checkpoints, resume_from),
// and LoRA (lora.r, lora.alpha, lora.dropout, lora.target_modules).

#include <memory>
#include <string>

#include "model/lora.h"
#include "train/run_config.h"
#include "train/training_loop.h"

namespace chosei {

struct RunSettings {
  TrainingOptions loop;
  std::int64_t batch_size = 8;  // rows (sft) or pairs (reward) per micro-batch
  std::int64_t max_seq_len = 512;
  bool packing = true;
};

// Throws std::invalid_argument naming the key for a value out of range.
RunSettings read_run_settings(RunConfig& cfg, const std::string& out_dir);

// LoRA settings from lora.* keys; null when lora.r is 0 (full fine-tuning). `base` is
// recorded (absolute) as the adapter's base_model_name_or_path.
std::shared_ptr<LoraConfig> read_lora_settings(RunConfig& cfg, const std::string& base);

}  // namespace chosei
