// `chosei reward train|eval|score`: reward models from preference pairs (reward/).

#include <iostream>

#include "cli/commands.h"
#include "reward/reward_evaluation.h"
#include "reward/reward_recipe.h"
#include "reward/reward_scoring.h"

namespace chosei::cli {

void add_reward_commands(CLI::App& app) {
  auto* reward = app.add_subcommand("reward", "Train, evaluate and apply reward models");
  reward->require_subcommand(1);

  auto args = std::make_shared<RecipeArgs>();
  auto* train = reward->add_subcommand(
      "train", "Train a reward model on preference pairs (Bradley-Terry; the run keys of sft)");
  train->add_option("--config", args->config_path, "Run configuration (JSON); optional");
  add_repeatable(train, "--set", args->overrides,
                 "Override a config key: key=value (repeatable), e.g. --set center_rewards=0.01");
  train->add_option("--threads", args->threads, "Compute threads; 0: every core")
      ->capture_default_str();
  train->callback([args] {
    set_threads(args->threads);
    run_reward_train(*args);
  });

  auto ev = std::make_shared<RewardEvalOptions>();
  auto ev_json = std::make_shared<bool>(false);
  auto ev_threads = std::make_shared<int>(0);
  auto* eval =
      reward->add_subcommand("eval", "Accuracy, calibration and length baselines on pairs");
  eval->add_option("--model", ev->model, "Reward model directory")->required();
  eval->add_option("--data", ev->data, "Preference pairs (any format chosei reads)")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--baseline", ev->baseline,
                   "A second reward model to compare on the same pairs");
  eval->add_option("--from", ev->from, "Preference format")->capture_default_str();
  eval->add_option("--template", ev->chat_template, "Chat template (default: the model's)");
  eval->add_option("--max-seq-len", ev->max_seq_len, "Longest pair kept; 0: the model's limit")
      ->capture_default_str();
  eval->add_option("--report", ev->report, "HTML report with the reliability diagram; '' for none")
      ->capture_default_str();
  eval->add_option("--threads", *ev_threads, "Compute threads; 0: every core")
      ->capture_default_str();
  eval->add_flag("--json", *ev_json, "Print one JSON object");
  eval->callback([ev, ev_json, ev_threads] {
    set_threads(*ev_threads);
    auto r = evaluate_reward_model(*ev);
    if (*ev_json)
      std::cout << reward_eval_json(r).dump(2) << "\n";
    else
      std::cout << reward_eval_text(r)
                << (ev->report.empty() ? "" : "report: " + ev->report + "\n");
  });

  auto sc = std::make_shared<RewardScoreOptions>();
  auto sc_threads = std::make_shared<int>(0);
  auto* score = reward->add_subcommand("score", "The reward of each answer in a JSONL file");
  score->add_option("--model", sc->model, "Reward model directory")->required();
  score->add_option("--jsonl", sc->jsonl, "{\"prompt\", \"completion\"} or {\"messages\"} lines")
      ->required()
      ->check(CLI::ExistingFile);
  score->add_flag("--ids", sc->ids, "Also print the token ids scored");
  score->add_option("--template", sc->chat_template, "Chat template (default: the model's)");
  score->add_option("--threads", *sc_threads, "Compute threads; 0: every core")
      ->capture_default_str();
  score->callback([sc, sc_threads] {
    set_threads(*sc_threads);
    score_jsonl(*sc, std::cout);
  });
}

}  // namespace chosei::cli
