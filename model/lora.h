#pragma once
// LoRA adapters on a Llama model (Hu et al. 2021, arXiv 2106.09685: eq. 3, h = W x + B A x,
// with B A scaled by alpha / r as sec. 4.1 says): attaching them by target module name, and
// merging them into the base weights. Their files, in PEFT's layout, are formats/peft_adapter.h.

#include <string>
#include <utility>
#include <vector>

#include "model/llama_model.h"

namespace chosei {

struct LoraConfig {
  std::int64_t r = 8;
  double alpha = 16;
  double dropout = 0.05;
  // Empty: the family's default (Architecture::lora_default_targets; PEFT's choice).
  std::vector<std::string> target_modules;
  std::vector<std::string> modules_to_save;  // e.g. embed_tokens, lm_head: trained and saved whole
  std::string base_model;                    // recorded as base_model_name_or_path
  std::string task_type = "CAUSAL_LM";       // PEFT's: CAUSAL_LM, SEQ_CLS (score models)
  // Training only: a PEFT adapter directory whose weights the adapters start from (to go on
  // training an adapter, or to start where another tool's run started); empty: fresh.
  std::string init_from;
};

// `model` is any Llama-family model (a causal LM, a score model).
// Freezes the base, attaches adapters to every projection whose last name component is a
// target, and returns the trainable parameters (adapters, then modules_to_save). Throws
// std::invalid_argument when a target matches nothing.
std::vector<std::pair<std::string, torch::Tensor>> apply_lora(torch::nn::Module& model,
                                                              const LoraConfig& config);

// The target module names `config` means for `model`: its own, else the family's default.
std::vector<std::string> lora_targets(torch::nn::Module& model, const LoraConfig& config);

// The projections that carry an adapter, by module name.
std::vector<std::pair<std::string, ProjectionImpl*>> adapted_projections(torch::nn::Module& model);

// Folds every adapter into its base weight: W += (alpha / r) B A.
void merge_lora(torch::nn::Module& model);

// While it lives, every adapter of `model` is off: the model computes its base alone. With
// LoRA the reference model is the base with adapters disabled, not a second copy.
class LoraDisabled {
 public:
  explicit LoraDisabled(torch::nn::Module& model);
  ~LoraDisabled();
  LoraDisabled(const LoraDisabled&) = delete;
  LoraDisabled& operator=(const LoraDisabled&) = delete;

 private:
  std::vector<ProjectionImpl*> projections_;
};

}  // namespace chosei
