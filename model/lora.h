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
  // Training only: the type the frozen base is held in: "auto" (the checkpoint's own type when
  // it is bf16 or fp16, so holding it loses nothing; else fp32), "fp32", "bf16" or "fp16".
  // The arithmetic stays fp32 either way (model/frozen_linear.h).
  std::string base_dtype = "auto";
};

// `model` is any Llama-family model (a causal LM, a score model).
// Freezes the base, attaches adapters to every projection whose last name component is a
// target, and returns the trainable parameters (adapters, then modules_to_save). Throws
// std::invalid_argument when a target matches nothing.
std::vector<std::pair<std::string, torch::Tensor>> apply_lora(torch::nn::Module& model,
                                                              const LoraConfig& config);

// Holds every frozen projection weight and bias and the frozen embedding table of `model` in
// `type` (bf16 or fp16), halving the base's memory; projections widen them to fp32 as they
// compute. Trainable parameters (adapters, modules_to_save) and the norms stay fp32. A loader
// calls it on a model whose parameters are frozen and not yet filled, so the checkpoint is
// read straight into half-precision storage; apply_lora widens modules_to_save again.
void hold_frozen_base(torch::nn::Module& model, torch::ScalarType type);

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
