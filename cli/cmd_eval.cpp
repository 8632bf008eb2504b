// `chosei eval`: held-out loss, perplexity and answer quality, optionally beside a baseline.

#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "eval/eval_recipe.h"

namespace chosei::cli {

namespace {

void print_eval_table(const nlohmann::json& r) {
  const bool side = r.contains("baseline");
  std::cout << std::left << std::setw(14) << "metric" << std::right << std::setw(14) << "model";
  if (side) std::cout << std::setw(14) << "baseline";
  std::cout << "\n";
  for (const char* k :
       {"loss", "perplexity", "token_f1", "rouge_l", "tokens", "examples", "generated"}) {
    if (!r["model"].contains(k)) continue;
    std::cout << std::left << std::setw(14) << k << std::right << std::fixed << std::setprecision(4)
              << std::setw(14) << r["model"][k].get<double>();
    if (side && r["baseline"].contains(k))
      std::cout << std::setw(14) << r["baseline"][k].get<double>();
    std::cout << "\n";
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto ev = std::make_shared<EvalArgs>();
  auto json_out = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(0);
  auto* cmd = app.add_subcommand(
      "eval", "Loss, perplexity and answer quality (token F1, ROUGE-L) on held-out chats");
  cmd->add_option("--model", ev->model, "Model directory")->required();
  cmd->add_option("--data", ev->data, "Held-out conversations (any chat format)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--baseline", ev->baseline, "A second model to compare side by side");
  cmd->add_option("--out", ev->out,
                  "Results JSONL: prompt, reference, answer and scores per example");
  cmd->add_option("--format", ev->format, "Input format")->capture_default_str();
  add_repeatable(cmd, "--map", ev->map, "CSV column to role (repeatable)");
  cmd->add_option("--max-examples", ev->max_examples, "Answers to generate; 0 skips generation")
      ->capture_default_str();
  cmd->add_option("--max-new-tokens", ev->max_new_tokens, "Longest generated answer")
      ->capture_default_str();
  cmd->add_option("--max-seq-len", ev->max_seq_len, "Truncate examples for the loss")
      ->capture_default_str();
  cmd->add_option("--precision", ev->precision, "Compute precision")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  cmd->add_option("--threads", *threads,
                  "Compute threads; 0: OMP_NUM_THREADS if set, else every core")
      ->capture_default_str();
  cmd->add_flag("--json", *json_out, "Print the summary as JSON");
  cmd->callback([ev, json_out, threads] {
    set_threads(*threads);
    auto r = run_eval(*ev);
    if (*json_out)
      std::cout << r.dump(2) << "\n";
    else
      print_eval_table(r);
  });
}

}  // namespace chosei::cli
