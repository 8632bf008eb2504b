#pragma once
// LoRA adapters on disk in Hugging Face PEFT's layout, so adapters move freely between
// chosei and PEFT: adapter_config.json and adapter_model.safetensors with keys
// "base_model.model.<module>.lora_A.weight" / ".lora_B.weight", and full tensors for
// modules_to_save (embeddings grown for added chat tokens) as
// "base_model.model.<module>.weight".

#include <string>

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

}  // namespace chosei
