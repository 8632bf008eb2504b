// `chosei classifier train|eval|score`: sequence classifiers on labeled texts (classifier/),
// the models `classifier` filter rules load.

#include <iostream>

#include "classifier/classifier_evaluation.h"
#include "classifier/classifier_recipe.h"
#include "cli/commands.h"

namespace chosei::cli {

void add_classifier_commands(CLI::App& app) {
  auto* cls = app.add_subcommand("classifier", "Train, evaluate and apply text classifiers");
  cls->require_subcommand(1);

  auto args = std::make_shared<RecipeArgs>();
  auto* train = cls->add_subcommand(
      "train",
      "Train a classifier on {\"text\"|\"messages\", \"labels\"} lines (the run keys of "
      "reward train, plus problem_type, negative_label, labels, target_fpr)");
  train->add_option("--config", args->config_path, "Run configuration (JSON); optional");
  add_repeatable(train, "--set", args->overrides,
                 "Override a config key: key=value (repeatable), e.g. --set target_fpr=0.02");
  train->add_option("--threads", args->threads, "Compute threads; 0: every core")
      ->capture_default_str();
  train->callback([args] {
    set_threads(args->threads);
    run_classifier_train(*args);
  });

  auto ev = std::make_shared<ClassifierEvalOptions>();
  auto ev_json = std::make_shared<bool>(false);
  auto ev_threads = std::make_shared<int>(0);
  auto* eval = cls->add_subcommand(
      "eval", "Per-category precision, recall, F1, FPR and AUROC at the saved thresholds");
  eval->add_option("--model", ev->model, "Classifier directory")->required();
  eval->add_option("--data", ev->data, "Labeled texts (JSONL)")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--template", ev->chat_template,
                   "Chat template for messages (default: the model's)");
  eval->add_option("--max-seq-len", ev->max_seq_len, "Longer texts are cut")->capture_default_str();
  eval->add_option("--target-fpr", ev->target_fpr,
                   "Also print the thresholds this false-positive rate would choose on this data");
  eval->add_option("--threads", *ev_threads, "Compute threads; 0: every core")
      ->capture_default_str();
  eval->add_flag("--json", *ev_json, "Print one JSON object");
  eval->callback([ev, ev_json, ev_threads] {
    set_threads(*ev_threads);
    auto r = evaluate_classifier(*ev);
    if (*ev_json) {
      std::cout << r.dump(2) << "\n";
      return;
    }
    std::cout << r["examples"].get<std::size_t>() << " texts from " << ev->data << "\n";
    std::cout << r["categories"].dump(2) << "\nany category: " << r["any_category"].dump() << "\n";
  });

  auto sc = std::make_shared<ClassifierScoreOptions>();
  auto sc_threads = std::make_shared<int>(0);
  auto* score = cls->add_subcommand("score", "Each label's probability for each JSONL line");
  score->add_option("--model", sc->model, "Classifier directory")->required();
  score->add_option("--jsonl", sc->jsonl, "{\"text\"} or {\"messages\"} lines")
      ->required()
      ->check(CLI::ExistingFile);
  score->add_flag("--ids", sc->ids, "Also print the token ids scored");
  score->add_option("--template", sc->chat_template,
                    "Chat template for messages (default: the model's)");
  score->add_option("--threads", *sc_threads, "Compute threads; 0: every core")
      ->capture_default_str();
  score->callback([sc, sc_threads] {
    set_threads(*sc_threads);
    score_classifier_jsonl(*sc, std::cout);
  });
}

}  // namespace chosei::cli
