#include "align/align_recipe.h"

#include <cmath>
#include <filesystem>
#include <iostream>

#include "align/preference_optimization_task.h"
#include "base/atomic_file.h"
#include "datasets/preference_reader.h"
#include "formats/chat_tokens.h"
#include "formats/model_dir.h"
#include "formats/peft_adapter.h"
#include "model/lora.h"
#include "train/data_parallel.h"
#include "train/run_report.h"
#include "train/run_settings.h"

namespace chosei {

namespace fs = std::filesystem;

namespace {

PreferenceObjective objective_settings(RunConfig& cfg) {
  PreferenceObjective o;
  o.method = parse_preference_method(cfg.get_string("method", "dpo"));
  o.beta = cfg.get_double("beta", 0.1);
  o.label_smoothing = cfg.get_double("label_smoothing", 0.0);
  o.gamma = cfg.get_double("gamma", 0.5);
  o.sft_weight = cfg.get_double("sft_weight", 0.0);
  if (o.beta <= 0) throw std::invalid_argument("config key \"beta\" must be above 0");
  if (o.method == PreferenceMethod::kCdpo && (o.label_smoothing <= 0 || o.label_smoothing >= 0.5))
    throw std::invalid_argument("cdpo needs label_smoothing in (0, 0.5), got " +
                                std::to_string(o.label_smoothing));
  if (o.label_smoothing != 0 && o.method != PreferenceMethod::kCdpo &&
      o.method != PreferenceMethod::kRobust && o.method != PreferenceMethod::kDpo)
    throw std::invalid_argument("label_smoothing applies to dpo, cdpo and robust, not " +
                                to_string(o.method));
  return o;
}

std::vector<PreferenceExample> load_pairs(const std::string& path,
                                          const PreferenceReadOptions& read, const LoadedModel& m,
                                          const ChatTemplate& tmpl, std::int64_t max_seq_len) {
  if (path.empty()) return {};
  auto data = read_preference_dataset(path, read);
  if (data.pairs.empty())
    throw std::invalid_argument(path + ": no preference pairs (" +
                                std::to_string(data.unpaired.size()) + " unpaired examples)");
  PreferenceTokenizeReport r;
  auto examples =
      tokenize_preference_pairs(data.pairs, *m.tokenizer.tokenizer, tmpl, max_seq_len, &r);
  std::cerr << path << ": " << r.kept << " pairs";
  if (!data.errors.empty()) std::cerr << ", " << data.errors.size() << " invalid skipped";
  if (r.dropped_prompt_too_long + r.dropped_too_long)
    std::cerr << ", " << r.dropped_prompt_too_long + r.dropped_too_long << " over " << max_seq_len
              << " tokens dropped";
  std::cerr << "\n";
  return examples;
}

struct ReferenceSettings {
  std::string dir, cache;
};

// The reference's log-probabilities of train and eval, from the cache when it holds them.
void score_with_reference(LoadedModel& start, const ReferenceSettings& r, const std::string& tmpl,
                          Precision precision, const ReferenceBatching& batching,
                          ScoredPairs& train, ScoredPairs& eval) {
  LoadedModel separate;
  LlamaForCausalLM* ref = &start.model;
  if (!r.dir.empty()) {
    separate = load_model_dir(r.dir);
    ensure_chat_tokens(separate, tmpl);
    if (separate.model->config().vocab_size != start.model->config().vocab_size)
      throw std::invalid_argument("reference " + r.dir + " has a vocabulary of " +
                                  std::to_string(separate.model->config().vocab_size) +
                                  ", the policy " +
                                  std::to_string(start.model->config().vocab_size));
    separate.model->set_precision(precision);
    ref = &separate.model;
  }
  const auto weights = weights_sha256(*ref);
  for (auto* d : {&train, &eval}) {
    if (d->pairs.empty()) continue;
    const auto key = reference_cache_key(weights, d->pairs, precision_name(precision), 1.0);
    bool reused = false;
    d->reference = cached_reference_logps(
        r.cache, key, d->pairs.size(),
        [&] { return compute_reference_logps(*ref, d->pairs, batching); }, &reused,
        process_rank() == 0);
    std::cerr << "reference log-probs of " << d->pairs.size() << " pairs "
              << (reused ? "reused from " : "computed into ") << r.cache << "/" << key.substr(0, 12)
              << "...\n";
  }
}

}  // namespace

double run_align(const RecipeArgs& args) {
  auto cfg = RunConfig::load(args.config_path, args.overrides);
  const std::string out = cfg.require_string("out");
  const std::string base = cfg.require_string("model");
  const std::string template_name = cfg.get_string("template", "");
  auto settings = read_run_settings(cfg, out);
  const auto objective = objective_settings(cfg);
  const std::string train_path = cfg.require_string("train");
  const std::string eval_path = cfg.get_string("eval", "");
  PreferenceReadOptions read;
  read.from = cfg.get_string("data.from", "auto");
  read.skip_invalid = cfg.get_bool("data.skip_invalid", false);
  ReferenceSettings reference{
      cfg.get_string("reference", ""),
      cfg.get_string("reference_cache", (fs::path(out) / "reference_logps").string())};
  auto lora = read_lora_settings(cfg, base);
  const auto precision = parse_precision(cfg.get_string("precision", "fp32"));
  cfg.check_all_used();
  if (!needs_reference(objective.method) && !reference.dir.empty())
    throw std::invalid_argument(to_string(objective.method) + " uses no reference model");

  auto m = load_model_dir(base);
  const auto vocab_before = m.model->config().vocab_size;
  auto tmpl = ensure_chat_tokens(m, template_name);
  ScoredPairs train{load_pairs(train_path, read, m, tmpl, settings.max_seq_len), {}};
  ScoredPairs eval{load_pairs(eval_path, read, m, tmpl, settings.max_seq_len), {}};
  m.model->set_precision(precision);
  PreferenceBatching batching;
  batching.pairs_per_batch = settings.batch_size;
  batching.max_seq_len = settings.max_seq_len;
  batching.packing = settings.packing;
  batching.pad_id = std::max<TokenId>(0, m.tokenizer.tokenizer->eos_id());
  if (needs_reference(objective.method)) {
    ReferenceBatching rb;
    rb.pairs_per_batch = static_cast<std::size_t>(settings.batch_size);
    rb.capacity = static_cast<std::size_t>(settings.max_seq_len);
    rb.pack = settings.packing;
    rb.pad_id = batching.pad_id;
    // Before any adapter is attached: with LoRA this is the base with adapters disabled.
    score_with_reference(m, reference, tmpl.name(), precision, rb, train, eval);
  }

  fs::create_directories(out);
  const bool writer = process_rank() == 0;
  if (writer)
    write_file_atomic((fs::path(out) / "config.json").string(), cfg.resolved().dump(2) + "\n");
  NamedParameters params;
  std::function<void(const std::string&)> save;
  if (lora) {
    if (m.model->config().vocab_size != vocab_before)
      lora->modules_to_save = m.model->config().tie_word_embeddings
                                  ? std::vector<std::string>{"embed_tokens"}
                                  : std::vector<std::string>{"embed_tokens", "lm_head"};
    torch::manual_seed(settings.loop.seed);
    params = apply_lora(*m.model, *lora);
    save = [&m, lora](const std::string& dir) {
      save_lora_adapter(dir, *m.model, *lora);
      save_tokenizer(m.tokenizer, dir);
    };
  } else {
    for (auto& p : m.model->named_parameters()) params.emplace_back(p.key(), p.value());
    save = [&m](const std::string& dir) { save_model_dir(dir, m); };
  }
  PreferenceOptimizationTask task(m.model, std::move(train), std::move(eval), objective, batching);
  TrainingLoop loop(settings.loop, task, params, save);
  auto result = loop.fit();
  if (!writer) return result.best_eval_loss;
  const auto final_dir = (fs::path(out) / "final").string();
  if (!promote_best_model(settings.loop, final_dir)) save(final_dir);
  RunReportInput report;
  report.title = "chosei align (" + to_string(objective.method) + "): " + out;
  report.data_stats = {{"method", to_string(objective.method)},
                       {"beta", objective.beta},
                       {"train pairs", task.train_pairs()},
                       {"eval pairs", task.eval_pairs()}};
  for (const auto& w : write_run_report(out, report)) std::cerr << "warning: " << w << "\n";
  std::cerr << "trained " << result.steps << " steps; aligned model in " << final_dir << "\n";
  return task.has_eval() ? result.best_eval_loss : std::nan("");
}

}  // namespace chosei
