// chosei: the command-line entry point. Parses, dispatches, and turns any exception into
// one line on stderr and exit status 1.

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "base/allocator_tuning.h"
#include "base/thread_count.h"
#include "classifier/classifier_runtime.h"
#include "cli/commands.h"
#include "model/compute_threads.h"
#include "model/kv_cache.h"
#include "model/llama_model.h"

namespace chosei::cli {

void set_threads(int threads) { set_compute_threads(resolve_thread_count(threads)); }

}  // namespace chosei::cli

int main(int argc, char** argv) {
  chosei::keep_freed_memory_for_reuse();
  CLI::App app{"chosei: adapt, align and serve Llama-family chatbots"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.get_formatter()->column_width(40);
  chosei::cli::add_model_commands(app);
  chosei::cli::add_tokenizer_commands(app);
  chosei::cli::add_template_commands(app);
  chosei::cli::add_generate_command(app);
  chosei::cli::add_data_commands(app);
  chosei::cli::add_filter_commands(app);
  chosei::cli::add_serve_command(app);
  chosei::cli::add_chat_command(app);
  chosei::cli::add_train_commands(app);
  chosei::cli::add_eval_command(app);
  chosei::cli::add_reward_commands(app);
  chosei::cli::add_classifier_commands(app);
  chosei::cli::add_label_commands(app);
  chosei::cli::add_lora_commands(app);
  chosei::cli::add_export_commands(app);
  chosei::cli::add_pipeline_command(app);
  chosei::install_classifier_runtime();  // classifier filter rules load their models
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
