#include "sft/sft_recipe.h"
#include "tokenizer/chat_messages.h"

#include "formats/chat_tokens.h"

#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "datasets/chat_reader.h"
#include "datasets/sft_example.h"
#include "datasets/text_lines.h"
#include "formats/model_dir.h"
#include "formats/peft_adapter.h"
#include "generate/generation.h"
#include "model/lora.h"
#include "sft/data_mix.h"
#include "sft/language_modeling_task.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/extended_tokenizer.h"
#include "train/data_parallel.h"
#include "train/run_config.h"
#include "train/run_report.h"
#include "train/run_settings.h"
#include "train/training_loop.h"

namespace chosei {

namespace fs = std::filesystem;

namespace {

struct TrainingSettings {
  TrainingOptions loop;
  BatchingOptions batching;
  bool gradient_checkpointing = false;
  RunSettings run;  // as read; save_dtype
  torch::Device device{torch::kCPU};
};

TrainingSettings training_settings(RunConfig& cfg, const std::string& out) {
  auto run = read_run_settings(cfg, out);
  TrainingSettings s;
  s.loop = run.loop;
  s.batching.batch_size = run.batch_size;
  s.batching.max_seq_len = run.max_seq_len;
  s.batching.packing = run.packing;
  s.batching.shuffle = cfg.get_bool("shuffle", true);
  s.gradient_checkpointing = run.gradient_checkpointing;
  s.run = run;
  s.device = run.device;
  return s;
}

struct DataSettings {
  std::string train, eval;
  std::string mix;         // a general dataset blended in (sft/data_mix.h)
  double mix_share = 0.1;  // its share of the training examples
  ChatReadOptions read;
  Truncation truncation = Truncation::kDrop;
};

DataSettings data_settings(RunConfig& cfg) {
  DataSettings d;
  d.train = cfg.require_string("train");
  d.eval = cfg.get_string("eval", "");
  d.mix = cfg.get_string("mix", "");
  d.mix_share = cfg.get_double("mix_share", 0.1);
  if (d.mix.empty() && cfg.has("mix_share"))
    throw std::invalid_argument("config key \"mix_share\" needs \"mix\" (a general dataset)");
  if (!d.mix.empty() && !std::filesystem::is_regular_file(d.mix))
    throw std::invalid_argument("config key \"mix\": " + d.mix + ": no such file");
  if (!d.mix.empty() && !(d.mix_share > 0 && d.mix_share < 1))
    throw std::invalid_argument("config key \"mix_share\": " + std::to_string(d.mix_share) +
                                " is not between 0 and 1");
  d.read.format = cfg.get_string("data.format", "auto");
  for (const auto& spec : cfg.get_strings("data.map", {}))
    for (auto& [col, role] : parse_column_map({spec})) d.read.column_map[col] = role;
  d.read.skip_invalid = cfg.get_bool("data.skip_invalid", false);
  const auto truncation = cfg.get_string("truncation", "drop");
  if (truncation != "drop" && truncation != "truncate")
    throw std::invalid_argument("config key \"truncation\": expected drop or truncate, got " +
                                truncation);
  d.truncation = truncation == "truncate" ? Truncation::kTruncate : Truncation::kDrop;
  return d;
}

// Tokenized examples of `path`, plus up to three of its prompts (the conversation without
// its final assistant turns) for the report's sample generations.
std::vector<SftExample> load_sft_examples(const std::string& path, const DataSettings& d,
                                          const LoadedModel& m, const ChatTemplate& tmpl,
                                          std::int64_t max_seq_len,
                                          std::vector<std::vector<ChatMessage>>* sample_prompts) {
  if (path.empty()) return {};
  auto data = read_chat_dataset(path, d.read);
  for (const auto& c : data.conversations) {
    if (sample_prompts->size() >= 3) break;
    auto p = prompt_messages(c);
    if (!p.empty()) sample_prompts->push_back(std::move(p));
  }
  SftTokenizeReport report;
  auto examples = tokenize_conversations(data.conversations, *m.tokenizer.tokenizer, tmpl,
                                         max_seq_len, d.truncation, &report);
  std::int64_t tokens = 0, labeled = 0;
  for (const auto& e : examples)
    tokens += static_cast<std::int64_t>(e.ids.size()), labeled += e.target_tokens();
  std::cerr << path << ": " << report.kept << " examples (" << tokens << " tokens, " << labeled
            << " labeled)";
  if (!data.errors.empty()) std::cerr << ", " << data.errors.size() << " invalid skipped";
  if (report.dropped_too_long)
    std::cerr << ", " << report.dropped_too_long << " longer than " << max_seq_len << " dropped";
  if (report.truncated) std::cerr << ", " << report.truncated << " truncated to " << max_seq_len;
  if (report.dropped_no_target)
    std::cerr << ", " << report.dropped_no_target << " without assistant tokens dropped";
  std::cerr << "\n";
  return examples;
}

// The domain's training examples with data.mix's general ones blended in at data.mix_share;
// the general file is read in its own format, with the run's template and truncation.
std::vector<SftExample> blend_general_data(std::vector<SftExample> train, const DataSettings& d,
                                           const LoadedModel& m, const ChatTemplate& tmpl,
                                           std::int64_t max_seq_len, std::uint64_t seed) {
  DataSettings general;
  general.truncation = d.truncation;
  std::vector<std::vector<ChatMessage>> unused;
  auto mix = mix_general_examples(std::move(train),
                                  load_sft_examples(d.mix, general, m, tmpl, max_seq_len, &unused),
                                  d.mix_share, seed);
  std::cerr << "mix: " << mix.general << " examples of " << d.mix << " blended in, "
            << std::lround(100 * mix.share) << "% of " << mix.examples.size();
  if (mix.share + 0.005 < d.mix_share)
    std::cerr << " (the file is too small for " << std::lround(100 * d.mix_share) << "%)";
  std::cerr << "\n";
  return std::move(mix.examples);
}

// Training sequences past the model's context would meet positions it never saw (and RoPE
// tables or windows sized for less).
// The default (512) shrinks to a shorter context; a value asked for is refused.
void check_within_context(std::int64_t& max_seq_len, bool asked, const LoadedModel& m) {
  const auto context = m.model->config().max_position_embeddings;
  if (!asked) max_seq_len = std::min(max_seq_len, context);
  if (max_seq_len > context)
    throw std::invalid_argument("config key \"max_seq_len\": " + std::to_string(max_seq_len) +
                                " is longer than the model's context of " +
                                std::to_string(context) + " tokens (" + m.dir +
                                "/config.json max_position_embeddings)");
}

// Embeddings grown for added chat tokens must be trained and saved with the adapter.
void save_grown_embeddings(LoraConfig& lora, const LlamaForCausalLM& model) {
  lora.modules_to_save = model->config().tie_word_embeddings
                             ? std::vector<std::string>{"embed_tokens"}
                             : std::vector<std::string>{"embed_tokens", "lm_head"};
}

struct LrFindSettings {
  bool enabled = false;
  double min_lr = 1e-7, max_lr = 1.0;
  std::int64_t steps = 100;
};

LrFindSettings lr_find_settings(RunConfig& cfg) {
  LrFindSettings s;
  s.enabled = cfg.get_bool("find_lr", false);
  s.min_lr = cfg.get_double("lr_find.min_lr", s.min_lr);
  s.max_lr = cfg.get_double("lr_find.max_lr", s.max_lr);
  s.steps = cfg.get_int("lr_find.steps", s.steps);
  return s;
}

// report.html: data statistics and greedy answers of the trained model to a few prompts.
void write_report(const std::string& out, LoadedModel& m, const std::vector<SftExample>& train,
                  const std::vector<SftExample>& eval,
                  const std::vector<std::vector<ChatMessage>>& prompts) {
  auto tokens = [](const std::vector<SftExample>& v) {
    std::int64_t n = 0, t = 0;
    for (const auto& e : v) n += static_cast<std::int64_t>(e.ids.size()), t += e.target_tokens();
    return std::make_pair(n, t);
  };
  RunReportInput in;
  in.title = "chosei run: " + out;
  auto [tn, tt] = tokens(train);
  auto [en, et] = tokens(eval);
  in.data_stats = {
      {"train examples", train.size()}, {"train tokens", tn}, {"train target tokens", tt},
      {"eval examples", eval.size()},   {"eval tokens", en},  {"eval target tokens", et}};
  if (!prompts.empty()) {
    auto tmpl = choose_chat_template(m.tokenizer.config);
    GenerateOptions g;
    g.max_new_tokens = 64;
    g.sampling.temperature = 0;
    g.eos_ids = stop_token_ids(m.eos_ids(), tmpl, *m.tokenizer.tokenizer);
    m.model->eval();
    for (const auto& p : prompts) {
      auto ids = tmpl.render(*m.tokenizer.tokenizer, p, true).ids;
      if (static_cast<std::int64_t>(ids.size()) + g.max_new_tokens >
          m.model->config().max_position_embeddings)
        continue;
      in.samples.emplace_back(p.back().content,
                              generate(m.model, *m.tokenizer.tokenizer, ids, g).text);
    }
  }
  for (const auto& w : write_run_report(out, in)) std::cerr << "warning: " << w << "\n";
}

double train_and_save(RunConfig& cfg, LoadedModel& m, const std::string& out,
                      TrainingSettings settings, Precision precision, std::vector<SftExample> train,
                      std::vector<SftExample> eval, std::shared_ptr<LoraConfig> lora,
                      const LrFindSettings& lr_find,
                      const std::vector<std::vector<ChatMessage>>& sample_prompts = {}) {
  m.model->set_precision(precision);
  set_activation_checkpointing(*m.model, settings.gradient_checkpointing);
  m.model->to(settings.device);  // batches follow the model (LanguageModelingTask)
  fs::create_directories(out);
  const bool writer = process_rank() == 0;  // in data-parallel runs only rank 0 writes
  if (writer)
    write_file_atomic((fs::path(out) / "config.json").string(), cfg.resolved().dump(2) + "\n");
  settings.batching.pad_id =
      m.tokenizer.tokenizer->eos_id() >= 0 ? m.tokenizer.tokenizer->eos_id() : 0;
  NamedParameters params;
  std::function<void(const std::string&)> save;
  if (lora) {
    params = start_lora_training(*m.model, *lora, settings.loop.seed, m.stored_dtype);
    save = [&m, lora](const std::string& dir) {
      save_lora_adapter(dir, *m.model, *lora);
      save_tokenizer(m.tokenizer, dir);
    };
  } else {
    for (auto& p : m.model->named_parameters()) params.emplace_back(p.key(), p.value());
    save = [&m, dtype = save_dtype_for(settings.run, m.stored_dtype)](const std::string& dir) {
      save_model_dir(dir, m, dtype);
    };
  }
  LanguageModelingTask task(m.model, std::move(train), std::move(eval), settings.batching);
  TrainingLoop loop(settings.loop, task, params, save);
  if (lr_find.enabled) {
    auto f = loop.find_lr(lr_find.min_lr, lr_find.max_lr, lr_find.steps);
    if (writer) write_lr_find_report(out, f.points, f.suggested_lr);
    for (std::size_t i = 0; i < f.points.size();
         i += std::max<std::size_t>(1, f.points.size() / 20))
      std::cout << "lr " << f.points[i].first << "  loss " << f.points[i].second << "\n";
    std::cout << "suggested learning_rate: " << f.suggested_lr << " (plot: " << out
              << "/lr_find.html)\n";
    return std::nan("");
  }
  auto result = loop.fit();
  const auto final_dir = (fs::path(out) / "final").string();
  if (!writer) return result.best_eval_loss;
  if (!promote_best_model(settings.loop, final_dir)) save(final_dir);
  std::cerr << "trained " << result.steps << " steps; final model in " << final_dir << "\n";
  write_report(out, m, task.train_examples(), task.eval_examples(), sample_prompts);
  return task.has_eval() ? result.best_eval_loss : std::nan("");
}

}  // namespace

double run_sft(const RecipeArgs& args) {
  // Every setting is read and checked before the model loads: a typo fails in a second.
  auto cfg = RunConfig::load(args.config_path, args.overrides);
  const std::string out = cfg.require_string("out");
  const std::string base = cfg.require_string("model");
  const std::string template_name = cfg.get_string("template", "");
  auto settings = training_settings(cfg, out);
  auto data = data_settings(cfg);
  auto lora = read_lora_settings(cfg, base);
  const auto precision = parse_precision(cfg.get_string("precision", "fp32"));
  const auto lr_find = lr_find_settings(cfg);
  cfg.check_all_used();

  auto m = load_model_dir(base, true, frozen_base_type(lora.get(), base));
  check_within_context(settings.batching.max_seq_len, cfg.has("max_seq_len"), m);
  const auto vocab_before = m.model->config().vocab_size;
  auto tmpl = ensure_chat_tokens(m, template_name);
  if (lora && m.model->config().vocab_size != vocab_before) save_grown_embeddings(*lora, m.model);
  // Report samples come from the evaluation set when there is one, else from training.
  std::vector<std::vector<ChatMessage>> train_prompts, prompts;
  auto train =
      load_sft_examples(data.train, data, m, tmpl, settings.batching.max_seq_len, &train_prompts);
  auto eval = load_sft_examples(data.eval, data, m, tmpl, settings.batching.max_seq_len, &prompts);
  if (prompts.empty()) prompts = std::move(train_prompts);
  if (!data.mix.empty())
    train = blend_general_data(std::move(train), data, m, tmpl, settings.batching.max_seq_len,
                               settings.loop.seed);
  return train_and_save(cfg, m, out, settings, precision, std::move(train), std::move(eval), lora,
                        lr_find, prompts);
}

double run_pretrain(const RecipeArgs& args) {
  auto cfg = RunConfig::load(args.config_path, args.overrides);
  const std::string out = cfg.require_string("out");
  const std::string base = cfg.require_string("model");
  auto settings = training_settings(cfg, out);
  const auto train_files = cfg.get_strings("train", {});
  const auto eval_files = cfg.get_strings("eval", {});
  auto lora = read_lora_settings(cfg, base);
  const auto precision = parse_precision(cfg.get_string("precision", "fp32"));
  const auto lr_find = lr_find_settings(cfg);
  cfg.check_all_used();
  auto m = load_model_dir(base, true, frozen_base_type(lora.get(), base));
  check_within_context(settings.batching.max_seq_len, cfg.has("max_seq_len"), m);
  const TokenId sep = m.tokenizer.tokenizer->eos_id();
  auto read_docs = [&](const std::vector<std::string>& files) {
    std::vector<std::string> docs;
    for (const auto& f : files) {
      const std::string text = read_file(f);
      if (f.size() > 6 && f.compare(f.size() - 6, 6, ".jsonl") == 0) {
        for (const auto& l : split_nonblank_lines(text)) {
          auto j = nlohmann::json::parse(l.text, nullptr, false);
          if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string())
            throw std::runtime_error(f + ":" + std::to_string(l.number) +
                                     ": expected {\"text\": ...}");
          docs.push_back(j["text"].get<std::string>());
        }
      } else {
        // Plain text: paragraphs separated by blank lines are documents.
        std::size_t pos = 0;
        while (pos < text.size()) {
          auto end = text.find("\n\n", pos);
          if (end == std::string::npos) end = text.size();
          auto doc = text.substr(pos, end - pos);
          if (doc.find_first_not_of(" \n\t\r") != std::string::npos) docs.push_back(doc);
          pos = end + 2;
        }
      }
    }
    return docs;
  };
  auto train = tokenize_documents(read_docs(train_files), *m.tokenizer.tokenizer, sep,
                                  settings.batching.max_seq_len);
  if (train.empty())
    throw std::invalid_argument("pretrain: no training text (--set train=FILE[,FILE...])");
  auto eval = tokenize_documents(read_docs(eval_files), *m.tokenizer.tokenizer, sep,
                                 settings.batching.max_seq_len);
  return train_and_save(cfg, m, out, settings, precision, std::move(train), std::move(eval), lora,
                        lr_find);
}

}  // namespace chosei
