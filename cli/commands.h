#pragma once
// Registration of the `chosei` subcommands. Each adds its subcommand to the app and sets
// the callback that runs it; errors propagate as exceptions to main().

#include <CLI/CLI.hpp>

namespace chosei::cli {

void add_generate_command(CLI::App& app);
void add_data_commands(CLI::App& app);
void add_train_commands(CLI::App& app);
void add_model_commands(CLI::App& app);
void add_lora_commands(CLI::App& app);
void add_tokenizer_commands(CLI::App& app);

// Sizes LibTorch's intra-op pool: `threads` > 0 as given, else the machine's cores.
void set_threads(int threads);

}  // namespace chosei::cli
