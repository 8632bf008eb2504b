#pragma once
// LoRA adapters on a Llama model, in Hugging Face PEFT's layout so adapters move freely
// between chosei and PEFT: adapter_config.json and adapter_model.safetensors with keys
// "base_model.model.<module>.lora_A.weight" / ".lora_B.weight", and full tensors for
// modules_to_save (embeddings grown for added chat tokens) as
// "base_model.model.<module>.weight".

#include <string>
#include <utility>
#include <vector>

#include "model/llama_model.h"

namespace chosei {

struct LoraConfig {
  std::int64_t r = 8;
  double alpha = 16;
  double dropout = 0.05;
  std::vector<std::string> target_modules = {"q_proj", "v_proj"};
  std::vector<std::string> modules_to_save;  // e.g. embed_tokens, lm_head: trained and saved whole
  std::string base_model;                    // recorded as base_model_name_or_path
};

// Freezes the base, attaches adapters to every projection whose last name component is a
// target, and returns the trainable parameters (adapters, then modules_to_save). Throws
// std::invalid_argument when a target matches nothing.
std::vector<std::pair<std::string, torch::Tensor>> apply_lora(LlamaForCausalLM& model,
                                                              const LoraConfig& config);

void save_lora_adapter(const std::string& dir, LlamaForCausalLM& model, const LoraConfig& config);
// Reads adapter_config.json, attaches adapters and loads their weights (and
// modules_to_save). Throws naming the file on a missing or mismatched tensor.
LoraConfig load_lora_adapter(const std::string& dir, LlamaForCausalLM& model);
// Folds every adapter into its base weight: W += (alpha / r) B A.
void merge_lora(LlamaForCausalLM& model);

}  // namespace chosei
