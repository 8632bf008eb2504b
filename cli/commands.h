#pragma once
// Registration of the `chosei` subcommands. Each adds its subcommand to the app and sets
// the callback that runs it; errors propagate as exceptions to main().

#include <CLI/CLI.hpp>

namespace chosei {
struct ChatServerOptions;
class LlamaForCausalLMImpl;
}  // namespace chosei

namespace chosei::cli {

void add_generate_command(CLI::App& app);
void add_data_commands(CLI::App& app);
void add_filter_commands(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_chat_command(CLI::App& app);
void add_train_commands(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_model_commands(CLI::App& app);
void add_lora_commands(CLI::App& app);
void add_reward_commands(CLI::App& app);
void add_classifier_commands(CLI::App& app);
void add_label_commands(CLI::App& app);
void add_tokenizer_commands(CLI::App& app);
void add_template_commands(CLI::App& app);
void add_export_commands(CLI::App& app);
void add_pipeline_command(CLI::App& app);

// A string option given once per value (--map a=b --map c=d), so that it never swallows a
// following positional argument.
inline CLI::Option* add_repeatable(CLI::App* app, const std::string& name,
                                   std::vector<std::string>& values, const std::string& help) {
  return app->add_option(name, values, help)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

// "NAME=DIR" as --model takes it; throws naming `option` otherwise (cmd_serve.cpp).
std::pair<std::string, std::string> parse_named_dir(const std::string& option,
                                                    const std::string& spec);

// Runs the server until SIGTERM or SIGINT, then drains it (cmd_serve.cpp).
void serve_until_signal(const chosei::ChatServerOptions& options, const std::string& program);

inline const char* kDeviceHelp =
    "Compute device: cpu, cuda or cuda:N (needs chosei built against a CUDA LibTorch)";
inline const char* kKvCacheHelp =
    "KV cache entries: f32 (exact) or f16 (half the bytes per token, llama.cpp's default)";
inline const char* kWeightsHelp =
    "Weights decoding reads: f32, bf16 (half the bytes) or q8_0 (8-bit blocks, ~27% of the "
    "f32 bytes, llama.cpp's Q8_0); bf16 and q8_0 free the fp32 copy";

// Sizes LibTorch's intra-op pool: `threads` > 0 as given, else OMP_NUM_THREADS, else every core.
void set_threads(int threads);

}  // namespace chosei::cli
