#pragma once
// The run keys every training recipe shares (sft, pretrain, reward, align), read from a
// RunConfig once so that each recipe spells them the same way: optimization and schedule
// (learning_rate, max_steps, epochs, grad_accum, warmup_steps, ...), batching (batch_size,
// max_seq_len, packing), checkpoints and resume (save_every, keep_checkpoints, resume_from),
// LoRA (lora.r, lora.alpha, lora.dropout, lora.target_modules, lora.init_from,
// lora.base_dtype), the saved models' type (save_dtype) and the compute
// device (device: cpu, cuda or cuda:N; checked when read, so a machine without the GPU fails before
// the model loads).

#include <memory>
#include <string>

#include "formats/dtype.h"
#include "model/lora.h"
#include "train/run_config.h"
#include "train/training_loop.h"

namespace chosei {

struct RunSettings {
  TrainingOptions loop;
  std::int64_t batch_size = 8;  // rows (sft) or pairs (reward) per micro-batch
  std::int64_t max_seq_len = 512;
  bool packing = true;
  // gradient_checkpointing: each decoder layer recomputed in the backward pass instead of
  // its activations kept (Hugging Face's key; TRL turns it on by default, chosei does not).
  bool gradient_checkpointing = false;
  // save_dtype: the type full models are written in; "auto" keeps the type the model came in
  // (bf16 for a bf16 checkpoint), else "fp32", "bf16" or "fp16". Adapters stay fp32, as PEFT's.
  std::string save_dtype = "auto";
  torch::Device device{torch::kCPU};
};

// The type to write a full model in under `settings`, the model having come in `stored`.
DType save_dtype_for(const RunSettings& settings, DType stored);

// Throws std::invalid_argument naming the key for a value out of range.
RunSettings read_run_settings(RunConfig& cfg, const std::string& out_dir);

// Recipes that train on the CPU only so far call this: a clear error for device=cuda.
void require_cpu_device(const RunSettings& settings, const std::string& recipe);

// LoRA settings from lora.* keys; null when lora.r is 0 (full fine-tuning). `base` is
// recorded (absolute) as the adapter's base_model_name_or_path. lora.init_from names a PEFT
// adapter to start from: its r, alpha and targets are then the defaults of those keys.
std::shared_ptr<LoraConfig> read_lora_settings(RunConfig& cfg, const std::string& base);

}  // namespace chosei
