#include "align/align_recipe.h"

#include <cmath>
#include <filesystem>
#include <iostream>

#include "align/align_training.h"
#include "align/kto_examples.h"
#include "align/kto_loss.h"
#include "align/kto_task.h"
#include "align/online_recipe.h"
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

// The reference's log-probabilities of each set, from the cache when it holds them.
std::vector<ReferenceLogps> score_with_reference(
    LoadedModel& start, const ReferenceSettings& r, const std::string& tmpl, Precision precision,
    const ReferenceBatching& batching, const std::vector<std::vector<PreferenceExample>>& sets) {
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
  std::vector<ReferenceLogps> out;
  for (const auto& pairs : sets) {
    if (pairs.empty()) {
      out.emplace_back();
      continue;
    }
    const auto key = reference_cache_key(weights, pairs, precision_name(precision), 1.0);
    bool reused = false;
    out.push_back(cached_reference_logps(
        r.cache, key, pairs.size(), [&] { return compute_reference_logps(*ref, pairs, batching); },
        &reused, process_rank() == 0));
    std::cerr << "reference log-probs of " << pairs.size() << " sequence pairs "
              << (reused ? "reused from " : "computed into ") << r.cache << "/" << key.substr(0, 12)
              << "...\n";
  }
  return out;
}

// Everything a run reads from its configuration, read and checked before the model loads.
struct AlignSettings {
  std::string out, base, template_name, method, train_path, eval_path;
  RunSettings run;
  PreferenceObjective objective;
  KtoSettings kto;
  PreferenceReadOptions read;
  ReferenceSettings reference;
  std::shared_ptr<LoraConfig> lora;
  Precision precision = Precision::kFP32;
  bool is_kto() const { return method == "kto"; }
  bool uses_reference() const { return is_kto() || needs_reference(objective.method); }
};

AlignSettings align_settings(RunConfig& cfg) {
  AlignSettings a;
  a.out = cfg.require_string("out");
  a.base = cfg.require_string("model");
  a.template_name = cfg.get_string("template", "");
  a.run = read_run_settings(cfg, a.out);
  require_cpu_device(a.run, "align");
  a.method = cfg.get_string("method", "dpo");
  if (a.is_kto()) {
    a.kto.beta = cfg.get_double("beta", 0.1);
    a.kto.desirable_weight = cfg.get_double("desirable_weight", 1.0);
    a.kto.undesirable_weight = cfg.get_double("undesirable_weight", 1.0);
    if (a.kto.beta <= 0) throw std::invalid_argument("config key \"beta\" must be above 0");
  } else {
    a.objective = objective_settings(cfg);
  }
  a.train_path = cfg.require_string("train");
  a.eval_path = cfg.get_string("eval", "");
  a.read.from = cfg.get_string("data.from", "auto");
  a.read.skip_invalid = cfg.get_bool("data.skip_invalid", false);
  a.reference = {cfg.get_string("reference", ""),
                 cfg.get_string("reference_cache", (fs::path(a.out) / "reference_logps").string())};
  a.lora = read_lora_settings(cfg, a.base);
  a.precision = parse_precision(cfg.get_string("precision", "fp32"));
  cfg.check_all_used();
  if (!a.uses_reference() && !a.reference.dir.empty())
    throw std::invalid_argument(a.method + " uses no reference model");
  return a;
}

std::vector<KtoExample> load_kto_examples(const std::string& path,
                                          const PreferenceReadOptions& read, const LoadedModel& m,
                                          const ChatTemplate& tmpl, const RunSettings& run) {
  if (path.empty()) return {};
  KtoTokenizeReport r;
  auto examples =
      tokenize_kto_examples(read_preference_dataset(path, read), *m.tokenizer.tokenizer, tmpl,
                            run.max_seq_len, static_cast<std::size_t>(run.batch_size), &r);
  std::cerr << path << ": " << r.kept << " KTO examples (" << r.desirable << " desirable, "
            << r.undesirable << " undesirable)";
  if (r.dropped_too_long) std::cerr << ", " << r.dropped_too_long << " too long dropped";
  std::cerr << "\n";
  if (examples.empty()) throw std::invalid_argument(path + ": no KTO examples");
  return examples;
}

}  // namespace

double run_align(const RecipeArgs& args) {
  auto cfg = RunConfig::load(args.config_path, args.overrides);
  if (is_online_method(cfg.get_string("method", "dpo"))) return run_online_align(cfg);
  const auto a = align_settings(cfg);
  auto m = load_model_dir(a.base, true, frozen_base_type(a.lora.get(), a.base));
  const auto vocab_before = m.model->config().vocab_size;
  auto tmpl = ensure_chat_tokens(m, a.template_name);
  PreferenceBatching batching;
  batching.pairs_per_batch = a.run.batch_size;
  batching.max_seq_len = a.run.max_seq_len;
  batching.packing = a.run.packing;
  batching.pad_id = std::max<TokenId>(0, m.tokenizer.tokenizer->eos_id());
  ReferenceBatching rb;
  rb.pairs_per_batch = static_cast<std::size_t>(a.run.batch_size);
  rb.capacity = static_cast<std::size_t>(a.run.max_seq_len);
  rb.pack = a.run.packing;
  rb.pad_id = batching.pad_id;
  m.model->set_precision(a.precision);
  set_activation_checkpointing(*m.model, a.run.gradient_checkpointing);

  // The reference is scored before any adapter is attached: with LoRA it is the base with
  // adapters disabled.
  if (a.is_kto()) {
    ScoredKtoExamples train{load_kto_examples(a.train_path, a.read, m, tmpl, a.run), {}};
    ScoredKtoExamples eval{load_kto_examples(a.eval_path, a.read, m, tmpl, a.run), {}};
    auto refs =
        score_with_reference(m, a.reference, tmpl.name(), a.precision, rb,
                             {kto_scoring_pairs(train.examples), kto_scoring_pairs(eval.examples)});
    train.reference = std::move(refs[0]), eval.reference = std::move(refs[1]);
    std::size_t good = 0;
    for (const auto& e : train.examples) good += e.desirable;
    const auto warning = kto_weight_warning(good, train.examples.size() - good,
                                            a.kto.desirable_weight, a.kto.undesirable_weight);
    if (!warning.empty()) std::cerr << "warning: " << warning << "\n";
    KtoTask task(m.model, std::move(train), std::move(eval), a.kto, batching);
    return train_and_save(cfg, AlignRun{a.out, a.method, a.run, a.lora}, m, vocab_before, task,
                          {{"method", "kto"},
                           {"beta", a.kto.beta},
                           {"train examples", task.train_examples()},
                           {"eval examples", task.eval_examples()}});
  }
  ScoredPairs train{load_pairs(a.train_path, a.read, m, tmpl, a.run.max_seq_len), {}};
  ScoredPairs eval{load_pairs(a.eval_path, a.read, m, tmpl, a.run.max_seq_len), {}};
  if (a.uses_reference()) {
    auto refs = score_with_reference(m, a.reference, tmpl.name(), a.precision, rb,
                                     {train.pairs, eval.pairs});
    train.reference = std::move(refs[0]), eval.reference = std::move(refs[1]);
  }
  PreferenceOptimizationTask task(m.model, std::move(train), std::move(eval), a.objective,
                                  batching);
  return train_and_save(cfg, AlignRun{a.out, a.method, a.run, a.lora}, m, vocab_before, task,
                        {{"method", a.method},
                         {"beta", a.objective.beta},
                         {"train pairs", task.train_pairs()},
                         {"eval pairs", task.eval_pairs()}});
}

}  // namespace chosei
