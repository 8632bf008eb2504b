// `chosei sft`, `chosei pretrain` and `chosei align`: thin wrappers over the recipes in sft/
// and align/.

#include <iostream>
#include "cli/commands.h"

#include "align/align_recipe.h"
#include "sft/sft_recipe.h"

namespace chosei::cli {

namespace {

void add_recipe(CLI::App& app, const char* name, const char* help,
                double (*run)(const RecipeArgs&)) {
  auto args = std::make_shared<RecipeArgs>();
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("--config", args->config_path, "Run configuration (JSON); optional");
  add_repeatable(cmd, "--set", args->overrides,
                 "Override a config key: key=value (repeatable), e.g. --set lora.r=8");
  cmd->add_option("--threads", args->threads,
                  "Compute threads; 0: OMP_NUM_THREADS if set, else every core")
      ->capture_default_str();
  auto device = std::make_shared<std::string>();
  cmd->add_option("--device", *device, std::string(kDeviceHelp) + "; the run key device");
  auto find_lr = std::make_shared<bool>(false);
  cmd->add_flag("--find-lr", *find_lr,
                "Run a learning-rate range test (lr_find.min_lr, lr_find.max_lr, lr_find.steps) "
                "instead of training");
  cmd->callback([args, run, find_lr, device] {
    set_threads(args->threads);
    auto a = *args;
    if (!device->empty()) a.overrides.push_back("device=" + *device);
    if (*find_lr) a.overrides.push_back("find_lr=true");
    run(a);
  });
}

}  // namespace

void add_train_commands(CLI::App& app) {
  add_recipe(app, "sft", "Supervised fine-tuning on conversations (full)", run_sft);
  add_recipe(app, "pretrain", "Causal language-model training on raw text", run_pretrain);
  add_recipe(app, "align",
             "Preference optimization: --set method=dpo|cdpo|robust|ipo|hinge|simpo|orpo",
             run_align);
}

}  // namespace chosei::cli
