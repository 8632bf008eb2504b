// `chosei eval`: held-out loss, perplexity and answer quality, optionally beside a baseline.

#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "eval/eval_recipe.h"
#include "eval/judged_comparison.h"

namespace chosei::cli {

namespace {

void print_eval_table(const nlohmann::json& r) {
  const bool side = r.contains("baseline");
  std::cout << std::left << std::setw(14) << "metric" << std::right << std::setw(14) << "model";
  if (side) std::cout << std::setw(14) << "baseline";
  std::cout << "\n";
  for (const char* k : {"loss", "perplexity", "token_f1", "rouge_l", "tokens", "examples",
                        "generated", "general_loss", "general_perplexity"}) {
    if (!r["model"].contains(k)) continue;
    std::cout << std::left << std::setw(14) << k << std::right << std::fixed << std::setprecision(4)
              << std::setw(14) << r["model"][k].get<double>();
    if (side && r["baseline"].contains(k))
      std::cout << std::setw(14) << r["baseline"][k].get<double>();
    std::cout << "\n";
  }
  if (r.contains("forgetting"))
    std::cout << "forgetting: general loss " << std::showpos << r["forgetting"].get<double>()
              << std::noshowpos << " against the baseline\n";
}

void print_judged(const nlohmann::json& r) {
  std::cout << std::fixed << std::setprecision(3) << "win rate " << r["win_rate"].get<double>()
            << " (95% " << r["win_rate_ci95"][0].get<double>() << "-"
            << r["win_rate_ci95"][1].get<double>() << ") over " << r["prompts"].get<int>()
            << " prompts: " << r["wins"] << " wins, " << r["ties"] << " ties, " << r["losses"]
            << " losses; mean reward " << r["reward_model"].get<double>() << " vs "
            << r["reward_baseline"].get<double>() << "\n";
  for (const char* part : {"safety", "benign"}) {
    if (!r.contains(part)) continue;
    const char* key = std::string(part) == "safety" ? "flagged_share" : "refusal_share";
    std::cout << part << ": " << key << " model " << r[part]["model"][key].get<double>()
              << ", baseline " << r[part]["baseline"][key].get<double>() << "\n";
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
      ->check(CLI::ExistingFile);
  auto jd = std::make_shared<JudgedComparisonArgs>();
  cmd->add_option("--judge", jd->judge,
                  "Reward model judging the answers to --prompts against --baseline's");
  cmd->add_option("--prompts", jd->prompts, "Held-out prompts for --judge")
      ->check(CLI::ExistingFile);
  cmd->add_option("--samples", jd->samples, "Answers per prompt and model (--judge)")
      ->capture_default_str();
  cmd->add_option("--safety", jd->safety, "Red-team prompts: share of answers the filters flag")
      ->check(CLI::ExistingFile);
  cmd->add_option("--benign", jd->benign, "Benign prompts: share of answers that refuse")
      ->check(CLI::ExistingFile);
  add_repeatable(cmd, "--pack", jd->packs, "Output filter packs for --safety (default: built-in)");
  cmd->add_option("--temperature", jd->temperature, "Sampling temperature (--judge)")
      ->capture_default_str();
  cmd->add_option("--top-p", jd->top_p, "Nucleus sampling (--judge)")->capture_default_str();
  cmd->add_option("--seed", jd->seed, "Seed of the first answer (--judge)")->capture_default_str();
  cmd->add_option("--batch", jd->batch, "Answers decoded together")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--baseline", ev->baseline, "A second model to compare side by side");
  cmd->add_option("--general", ev->general,
                  "General chat data (not the domain's): its loss for each model, and with "
                  "--baseline the difference (what fine-tuning forgot)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--template", ev->chat_template,
                  "Chat template for the loss: a built-in's name or a Jinja file (a training "
                  "template for a model whose own is not prefix-preserving); default the model's");
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
  cmd->callback([ev, jd, json_out, threads] {
    set_threads(*threads);
    if (!jd->judge.empty()) {
      if (jd->prompts.empty()) throw std::invalid_argument("--judge needs --prompts FILE");
      auto a = *jd;
      a.model = ev->model, a.baseline = ev->baseline, a.out = ev->out;
      a.max_new_tokens = ev->max_new_tokens, a.precision = ev->precision;
      auto r = run_judged_comparison(a);
      if (*json_out)
        std::cout << r.dump(2) << "\n";
      else
        print_judged(r);
      return;
    }
    if (ev->data.empty()) throw std::invalid_argument("eval needs --data FILE (or --judge)");
    ev->batch = jd->batch;
    auto r = run_eval(*ev);
    if (*json_out)
      std::cout << r.dump(2) << "\n";
    else
      print_eval_table(r);
  });
}

}  // namespace chosei::cli
