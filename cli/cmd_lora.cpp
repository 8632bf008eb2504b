// `chosei lora merge`: fold a PEFT adapter into its base model.

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "cli/commands.h"
#include "formats/model_dir.h"
#include "formats/score_model_dir.h"
#include "model/lora.h"

namespace chosei::cli {

namespace {

// A reward model's or classifier's adapter (PEFT task_type SEQ_CLS, the score head in
// modules_to_save) merges into a sequence-classification model, not a causal LM.
bool is_score_adapter(const std::string& adapter) {
  auto j = nlohmann::json::parse(
      read_file((std::filesystem::path(adapter) / "adapter_config.json").string()), nullptr, false);
  return j.is_object() && j.value("task_type", "") == "SEQ_CLS";
}

DType dtype_or(const std::string& wanted, DType stored) {
  return wanted == "auto" ? stored : dtype_from_precision_name(wanted);
}

}  // namespace

void add_lora_commands(CLI::App& app) {
  struct MergeArgs {
    std::string base, adapter, out, dtype = "auto";
  };
  auto a = std::make_shared<MergeArgs>();
  auto* lora = app.add_subcommand("lora", "Work with LoRA adapters (PEFT layout)");
  lora->require_subcommand(1);
  auto* merge = lora->add_subcommand("merge", "Fold an adapter into its base: W + (alpha/r) B A");
  merge->add_option("--base", a->base, "Base model directory")->required();
  merge
      ->add_option("--adapter", a->adapter,
                   "Adapter directory (adapter_config.json, adapter_model.safetensors)")
      ->required();
  merge->add_option("--out", a->out, "Output model directory")->required();
  merge
      ->add_option("--dtype", a->dtype,
                   "Type the merged weights are written in: auto (the base's own), fp32, bf16, "
                   "fp16")
      ->check(CLI::IsMember({"auto", "fp32", "bf16", "fp16"}));
  merge->callback([a] {
    if (is_score_adapter(a->adapter)) {
      auto m = load_score_model_with_adapter(a->base, a->adapter);
      merge_lora(*m.model);
      save_score_model_dir(a->out, m, nlohmann::json::object(), dtype_or(a->dtype, m.stored_dtype));
    } else {
      auto m = load_model_with_adapter(a->base, a->adapter);
      merge_lora(*m.model);
      save_model_dir(a->out, m, dtype_or(a->dtype, m.stored_dtype));
    }
    std::cout << "merged " << a->adapter << " into " << a->out << "\n";
  });
}

}  // namespace chosei::cli
