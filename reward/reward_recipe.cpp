#include "reward/reward_recipe.h"

#include <cmath>
#include <filesystem>
#include <iostream>

#include "base/atomic_file.h"
#include "datasets/preference_reader.h"
#include "formats/chat_tokens.h"
#include "formats/peft_adapter.h"
#include "formats/score_model_dir.h"
#include "model/lora.h"
#include "reward/reward_modeling_task.h"
#include "tokenizer/chat_messages.h"
#include "train/data_parallel.h"
#include "train/run_report.h"
#include "train/run_settings.h"

namespace chosei {

namespace fs = std::filesystem;

namespace {

struct StartingModel {
  LoadedScoreModel model;
  ChatTemplate tmpl;
  bool vocab_grew = false;
};

bool holds_score_model(const std::string& dir) {
  return is_score_model_dir(dir) || (!fs::exists(fs::path(dir) / "config.json") &&
                                     fs::exists(fs::path(dir) / "adapter_config.json"));
}

// A causal LM gets the template's tokens (as sft adds them) and a new score head; a reward
// model (or an adapter over one, merged) continues as it is.
StartingModel load_starting_model(const std::string& base, const std::string& template_name,
                                  std::uint64_t seed, torch::ScalarType frozen_base) {
  if (holds_score_model(base)) {
    auto m = load_score_model_dir(base);
    merge_lora(*m.model);
    std::vector<std::string> added;
    auto tmpl = prepare_chat_tokenizer(m.tokenizer, template_name, &added);
    if (!added.empty())
      throw std::invalid_argument(base + ": the tokenizer lacks the " + tmpl.name() +
                                  " template's tokens; start from a causal LM, which gets them");
    return {std::move(m), tmpl, false};
  }
  LoadedModel lm = load_model_dir(base, true, frozen_base);
  const auto vocab = lm.model->config().vocab_size;
  auto tmpl = ensure_chat_tokens(lm, template_name);
  const bool grew = lm.model->config().vocab_size != vocab;
  return {score_model_from_causal_lm(std::move(lm), 1, seed), tmpl, grew};
}

struct PairData {
  std::vector<PreferenceExample> examples;
  std::int64_t tokens = 0;
};

PairData load_pairs(const std::string& path, const PreferenceReadOptions& read,
                    const LoadedScoreModel& m, const ChatTemplate& tmpl, std::int64_t max_seq_len) {
  PairData d;
  if (path.empty()) return d;
  auto data = read_preference_dataset(path, read);
  if (data.pairs.empty())
    throw std::invalid_argument(path + ": no preference pairs (" +
                                std::to_string(data.unpaired.size()) +
                                " unpaired KTO examples); a reward model learns from pairs");
  PreferenceTokenizeReport r;
  d.examples = tokenize_preference_pairs(data.pairs, *m.tokenizer.tokenizer, tmpl, max_seq_len, &r);
  for (const auto& e : d.examples)
    d.tokens += static_cast<std::int64_t>(e.chosen.ids.size() + e.rejected.ids.size());
  std::cerr << path << ": " << r.kept << " pairs (" << d.tokens << " tokens)";
  if (!data.errors.empty()) std::cerr << ", " << data.errors.size() << " invalid skipped";
  if (!data.unpaired.empty()) std::cerr << ", " << data.unpaired.size() << " unpaired ignored";
  if (r.dropped_prompt_too_long)
    std::cerr << ", " << r.dropped_prompt_too_long << " with a prompt of " << max_seq_len
              << "+ tokens dropped";
  if (r.dropped_too_long)
    std::cerr << ", " << r.dropped_too_long << " longer than " << max_seq_len << " dropped";
  std::cerr << "\n";
  return d;
}

}  // namespace

double run_reward_train(const RecipeArgs& args) {
  auto cfg = RunConfig::load(args.config_path, args.overrides);
  const std::string out = cfg.require_string("out");
  const std::string base = cfg.require_string("model");
  const std::string template_name = cfg.get_string("template", "");
  auto settings = read_run_settings(cfg, out);
  require_cpu_device(settings, "reward train");
  const std::string train_path = cfg.require_string("train");
  const std::string eval_path = cfg.get_string("eval", "");
  PreferenceReadOptions read;
  read.from = cfg.get_string("data.from", "auto");
  read.skip_invalid = cfg.get_bool("data.skip_invalid", false);
  RewardBatching batching;
  batching.center_rewards = cfg.get_double("center_rewards", 0.0);
  batching.shuffle = cfg.get_bool("shuffle", true);
  auto lora = read_lora_settings(cfg, base);
  const auto precision = parse_precision(cfg.get_string("precision", "fp32"));
  cfg.check_all_used();

  auto start = load_starting_model(base, template_name, settings.loop.seed,
                                   frozen_base_type(lora.get(), base));
  auto& m = start.model;
  auto train = load_pairs(train_path, read, m, start.tmpl, settings.max_seq_len);
  auto eval = load_pairs(eval_path, read, m, start.tmpl, settings.max_seq_len);

  m.model->set_precision(precision);
  set_activation_checkpointing(*m.model, settings.gradient_checkpointing);
  fs::create_directories(out);
  const bool writer = process_rank() == 0;
  if (writer)
    write_file_atomic((fs::path(out) / "config.json").string(), cfg.resolved().dump(2) + "\n");
  batching.pairs_per_batch = settings.batch_size;
  batching.max_seq_len = settings.max_seq_len;
  batching.packing = settings.packing;
  batching.pad_id = std::max<TokenId>(0, m.tokenizer.tokenizer->eos_id());

  NamedParameters params;
  std::function<void(const std::string&)> save;
  if (lora) {
    // The new head is trained and saved whole with the adapter (PEFT's modules_to_save),
    // as are embeddings grown for chat tokens.
    lora->task_type = "SEQ_CLS";
    lora->modules_to_save = {"score"};
    if (start.vocab_grew) lora->modules_to_save.push_back("embed_tokens");
    params = start_lora_training(*m.model, *lora, settings.loop.seed, m.stored_dtype);
    save = [&m, lora](const std::string& dir) {
      save_lora_adapter(dir, *m.model, *lora);
      save_tokenizer(m.tokenizer, dir);
      write_reward_normalization(dir, m);
    };
  } else {
    for (auto& p : m.model->named_parameters()) params.emplace_back(p.key(), p.value());
    save = [&m, dtype = save_dtype_for(settings, m.stored_dtype)](const std::string& dir) {
      save_score_model_dir(dir, m, {}, dtype);
    };
  }
  RewardModelingTask task(m.model, std::move(train.examples), std::move(eval.examples), batching);
  TrainingLoop loop(settings.loop, task, params, save);
  auto result = loop.fit();
  if (!writer) return std::nan("");

  const auto final_dir = (fs::path(out) / "final").string();
  std::map<std::string, double> final_eval;
  if (task.has_eval()) final_eval = task.evaluate();
  if (promote_best_model(settings.loop, final_dir)) {
    std::cerr << "note: final/ is the best checkpoint; its reward mean/std are not recorded\n";
  } else {
    if (task.has_eval())
      m.reward_mean = final_eval.at("reward_mean"), m.reward_std = final_eval.at("reward_std");
    else
      std::tie(m.reward_mean, m.reward_std) = task.train_reward_mean_std();
    save(final_dir);
  }
  RunReportInput report;
  report.title = "chosei reward model: " + out;
  report.data_stats = {{"train pairs", task.train_pairs()},
                       {"train tokens", train.tokens},
                       {"eval pairs", task.eval_pairs()},
                       {"eval tokens", eval.tokens}};
  for (const auto& [k, v] : final_eval) report.data_stats["final eval " + k] = v;
  for (const auto& w : write_run_report(out, report)) std::cerr << "warning: " << w << "\n";
  std::cerr << "trained " << result.steps << " steps; reward model in " << final_dir;
  if (task.has_eval()) std::cerr << " (eval accuracy " << final_eval["accuracy"] << ")";
  std::cerr << "\n";
  return task.has_eval() ? final_eval["accuracy"] : std::nan("");
}

}  // namespace chosei
