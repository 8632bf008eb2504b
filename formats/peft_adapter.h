#pragma once
// LoRA adapters on disk in Hugging Face PEFT's layout, so adapters move freely between
// chosei and PEFT: adapter_config.json and adapter_model.safetensors with keys
// "base_model.model.<module>.lora_A.weight" / ".lora_B.weight", and full tensors for
// modules_to_save (embeddings grown for added chat tokens) as
// "base_model.model.<module>.weight".

#include <string>

#include "formats/dtype.h"
#include "model/lora.h"

namespace chosei {

void save_lora_adapter(const std::string& dir, torch::nn::Module& model, const LoraConfig& config);
// Both take any Llama-family model (a causal LM, a score model with "score" in
// modules_to_save).
// Reads adapter_config.json, attaches adapters and loads their weights (and
// modules_to_save). Throws naming the file on a missing or mismatched tensor.
LoraConfig load_lora_adapter(const std::string& dir, torch::nn::Module& model);
// adapter_config.json alone; throws naming the file.
LoraConfig read_lora_config(const std::string& dir);
// Attaches trainable adapters for a training run and returns the trainable parameters
// (apply_lora's): their weights come from `config.init_from` when set (read_lora_settings has
// checked that its shape is the run's), else from PEFT's initialization drawn with `seed`, the
// same in every process.
// The frozen base is then held as config.base_dtype says, "auto" reading `stored` (the type
// the model's checkpoint stores its weights in).
// The type a run holds its frozen base in: fp32 without LoRA (null), else lora->base_dtype,
// "auto" reading the checkpoint in `model_dir` (its own type when bf16 or fp16). For
// load_model_dir's `frozen_base`.
torch::ScalarType frozen_base_type(const LoraConfig* lora, const std::string& model_dir);

std::vector<std::pair<std::string, torch::Tensor>> start_lora_training(torch::nn::Module& model,
                                                                       const LoraConfig& config,
                                                                       std::uint64_t seed,
                                                                       DType stored);

}  // namespace chosei
