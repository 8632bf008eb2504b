// chosei: the command-line entry point. Parses, dispatches, and turns any exception into
// one line on stderr and exit status 1.

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "model/allocator_tuning.h"
#include "model/matvec.h"

namespace chosei::cli {

void set_threads(int threads) {
  int n = threads;
  // No --threads: OMP_NUM_THREADS when set (test runners and schedulers use it to share
  // cores), else every core.
  if (n <= 0) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    n = env && std::atoi(env) > 0
            ? std::atoi(env)
            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  torch::set_num_threads(n);
}

}  // namespace chosei::cli

int main(int argc, char** argv) {
  chosei::keep_freed_memory_for_reuse();
  CLI::App app{"chosei: adapt, align and serve Llama-family chatbots"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.get_formatter()->column_width(40);
  chosei::cli::add_model_commands(app);
  chosei::cli::add_tokenizer_commands(app);
  chosei::cli::add_generate_command(app);
  chosei::cli::add_data_commands(app);
  chosei::cli::add_filter_commands(app);
  chosei::cli::add_serve_command(app);
  chosei::cli::add_chat_command(app);
  chosei::cli::add_train_commands(app);
  chosei::cli::add_lora_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "chosei: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
