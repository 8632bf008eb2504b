#include "classifier/classifier_recipe.h"

#include <cmath>
#include <filesystem>
#include <iostream>

#include "base/atomic_file.h"
#include "classifier/classification_task.h"
#include "classifier/classifier_evaluation.h"
#include "classifier/classifier_info.h"
#include "formats/chat_tokens.h"
#include "formats/peft_adapter.h"
#include "formats/score_model_dir.h"
#include "model/lora.h"
#include "tokenizer/chat_messages.h"
#include "train/data_parallel.h"
#include "train/run_report.h"
#include "train/run_settings.h"

namespace chosei {

namespace fs = std::filesystem;

namespace {

struct Labeled {
  std::vector<ClassificationExample> examples;
  std::int64_t tokens = 0;
};

Labeled tokenize(const std::string& path, const ClassificationDataset& data,
                 const ClassifierInfo& info, const LoadedScoreModel& m, const ChatTemplate& tmpl,
                 std::int64_t max_seq_len) {
  Labeled out;
  std::int64_t truncated = 0;
  out.examples =
      tokenize_classification_records(data.records, info.categories(), info.negative_label,
                                      *m.tokenizer.tokenizer, tmpl, max_seq_len, &truncated);
  for (const auto& e : out.examples) {
    out.tokens += static_cast<std::int64_t>(e.ids.ids.size());
    const auto& r = data.records[e.record];
    if (info.problem == ClassificationProblem::kSingleLabel && e.labels.size() > 1)
      throw std::invalid_argument(r.source + ":" + std::to_string(r.line) + ": " +
                                  std::to_string(e.labels.size()) +
                                  " labels, but single_label classification takes one per text");
  }
  std::cerr << path << ": " << out.examples.size() << " texts (" << out.tokens << " tokens)";
  if (!data.errors.empty()) std::cerr << ", " << data.errors.size() << " invalid skipped";
  if (truncated) std::cerr << ", " << truncated << " cut to " << max_seq_len << " tokens";
  std::cerr << "\n";
  return out;
}

ClassifierInfo head_info(RunConfig& cfg, const ClassificationDataset& train) {
  ClassifierInfo info;
  info.problem = parse_classification_problem(cfg.get_string("problem_type", "multi_label"));
  info.negative_label = cfg.get_string("negative_label", "safe");
  auto categories = cfg.get_strings("labels", collect_labels(train.records, info.negative_label));
  if (categories.empty())
    throw std::invalid_argument("no labels other than \"" + info.negative_label +
                                "\" in the training data: nothing to classify");
  if (info.problem == ClassificationProblem::kSingleLabel)
    info.labels.push_back(info.negative_label);
  info.labels.insert(info.labels.end(), categories.begin(), categories.end());
  return info;
}

// A causal LM gets a new head with one output per head label; a classifier continues.
LoadedScoreModel load_start(const std::string& base, const ClassifierInfo& info, std::uint64_t seed,
                            const std::string& template_name, ChatTemplate* tmpl,
                            torch::ScalarType frozen_base) {
  if (is_score_model_dir(base)) {
    auto m = load_score_model_dir(base);
    const auto had = read_classifier_info(base);
    if (had.labels != info.labels)
      throw std::invalid_argument(base +
                                  ": its labels differ from this run's; start from a causal LM");
    *tmpl = choose_chat_template(m.tokenizer.config, template_name);
    return m;
  }
  LoadedModel lm = load_model_dir(base, true, frozen_base);
  *tmpl = ensure_chat_tokens(lm, template_name);
  return score_model_from_causal_lm(std::move(lm), static_cast<std::int64_t>(info.labels.size()),
                                    seed);
}

}  // namespace

double run_classifier_train(const RecipeArgs& args) {
  auto cfg = RunConfig::load(args.config_path, args.overrides);
  const std::string out = cfg.require_string("out");
  const std::string base = cfg.require_string("model");
  const std::string template_name = cfg.get_string("template", "");
  auto settings = read_run_settings(cfg, out);
  require_cpu_device(settings, "classifier train");
  const std::string train_path = cfg.require_string("train");
  const std::string eval_path = cfg.get_string("eval", "");
  const bool skip_invalid = cfg.get_bool("data.skip_invalid", false);
  const double target_fpr = cfg.get_double("target_fpr", 0.05);
  auto train_data = read_classification_dataset(train_path, skip_invalid);
  auto info = head_info(cfg, train_data);
  std::map<std::string, double> category_fpr;  // target_fpr_for.<label> overrides target_fpr
  for (const auto& c : info.categories())
    category_fpr[c] = cfg.get_double("target_fpr_for." + c, target_fpr);
  auto lora = read_lora_settings(cfg, base);
  const auto precision = parse_precision(cfg.get_string("precision", "fp32"));
  cfg.check_all_used();

  ChatTemplate tmpl = ChatTemplate::by_name("chatml");
  auto m = load_start(base, info, settings.loop.seed, template_name, &tmpl,
                      frozen_base_type(lora.get(), base));
  auto train = tokenize(train_path, train_data, info, m, tmpl, settings.max_seq_len);
  Labeled eval;
  if (!eval_path.empty())
    eval = tokenize(eval_path, read_classification_dataset(eval_path, skip_invalid), info, m, tmpl,
                    settings.max_seq_len);

  m.model->set_precision(precision);
  set_activation_checkpointing(*m.model, settings.gradient_checkpointing);
  fs::create_directories(out);
  const bool writer = process_rank() == 0;
  if (writer)
    write_file_atomic((fs::path(out) / "config.json").string(), cfg.resolved().dump(2) + "\n");
  ClassificationBatching batching;
  batching.texts_per_batch = settings.batch_size;
  batching.max_seq_len = settings.max_seq_len;
  batching.packing = settings.packing;
  batching.pad_id = std::max<TokenId>(0, m.tokenizer.tokenizer->eos_id());

  NamedParameters params;
  std::function<void(const std::string&)> save;
  if (lora) {
    lora->task_type = "SEQ_CLS";
    lora->modules_to_save = {"score"};
    params = start_lora_training(*m.model, *lora, settings.loop.seed, m.stored_dtype);
    save = [&m, lora, &info](const std::string& dir) {
      save_lora_adapter(dir, *m.model, *lora);
      save_tokenizer(m.tokenizer, dir);
      write_classifier_info(dir, info);
    };
  } else {
    for (auto& p : m.model->named_parameters()) params.emplace_back(p.key(), p.value());
    save = [&m, &info, dtype = save_dtype_for(settings, m.stored_dtype)](const std::string& dir) {
      save_score_model_dir(dir, m, classifier_config_fields(info), dtype);
      write_classifier_info(dir, info);
    };
  }
  ClassificationTask task(m.model, std::move(train.examples), std::move(eval.examples), batching,
                          info.problem);
  TrainingLoop loop(settings.loop, task, params, save);
  auto result = loop.fit();
  if (!writer) return std::nan("");

  const auto final_dir = (fs::path(out) / "final").string();
  std::vector<CategoryMetrics> metrics;
  if (task.has_eval()) {
    const auto probs = task.eval_probabilities();
    for (const auto& [label, fpr] : category_fpr) {
      auto one = info;  // the threshold of one category at its own target rate
      info.thresholds[label] = choose_thresholds(one, probs, task.eval_examples(), fpr).at(label);
    }
    info.target_fpr = target_fpr;
    info.threshold_source =
        eval_path + " (" + std::to_string(task.eval_examples().size()) + " texts)";
    metrics = evaluate_categories(info, probs, task.eval_examples());
    info.eval = category_metrics_json(metrics);
  }
  if (promote_best_model(settings.loop, final_dir)) {
    std::cerr << "note: final/ is the best checkpoint; its thresholds were chosen on the last "
                 "step's weights\n";
    write_classifier_info(final_dir, info);
  } else {
    save(final_dir);
  }
  RunReportInput report;
  report.title = "chosei classifier: " + out;
  report.data_stats = {{"train texts", task.train_texts()},
                       {"train tokens", train.tokens},
                       {"eval texts", task.eval_examples().size()},
                       {"eval tokens", eval.tokens}};
  for (const auto& mm : metrics) report.data_stats["eval F1 " + mm.label] = mm.f1;
  for (const auto& w : write_run_report(out, report)) std::cerr << "warning: " << w << "\n";
  std::cerr << "trained " << result.steps << " steps; classifier in " << final_dir << "\n";
  if (metrics.empty()) return std::nan("");
  std::cerr << category_metrics_text(metrics);
  double f1 = 0;
  for (const auto& mm : metrics) f1 += mm.f1;
  return f1 / static_cast<double>(metrics.size());
}

}  // namespace chosei
