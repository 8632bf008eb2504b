// `chosei lora merge`: fold a PEFT adapter into its base model.

#include <iostream>

#include "cli/commands.h"
#include "formats/model_dir.h"
#include "model/lora.h"

namespace chosei::cli {

void add_lora_commands(CLI::App& app) {
  struct MergeArgs {
    std::string base, adapter, out;
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
  merge->callback([a] {
    auto m = load_model_with_adapter(a->base, a->adapter);
    merge_lora(*m.model);
    save_model_dir(a->out, m);
    std::cout << "merged " << a->adapter << " into " << a->out << "\n";
  });
}

}  // namespace chosei::cli
