// `chosei sft` and `chosei pretrain`: thin wrappers over the recipes in sft/.

#include "cli/commands.h"
#include "sft/sft_recipe.h"

namespace chosei::cli {

namespace {

void add_recipe(CLI::App& app, const char* name, const char* help,
                double (*run)(const RecipeArgs&)) {
  auto args = std::make_shared<RecipeArgs>();
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("--config", args->config_path, "Run configuration (JSON); optional");
  cmd->add_option("--set", args->overrides,
                  "Override a config key: key=value (repeatable), e.g. --set lora.r=8")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--threads", args->threads, "Compute threads; 0 uses every core")
      ->capture_default_str();
  cmd->callback([args, run] {
    set_threads(args->threads);
    run(*args);
  });
}

}  // namespace

void add_train_commands(CLI::App& app) {
  add_recipe(app, "sft", "Supervised fine-tuning on conversations (full)", run_sft);
  add_recipe(app, "pretrain", "Causal language-model training on raw text", run_pretrain);
}

}  // namespace chosei::cli
