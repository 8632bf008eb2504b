// `chosei data convert|validate|split|stats`: check, convert and split fine-tuning data.

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "cli/commands.h"
#include "datasets/chat_reader.h"
#include "datasets/chat_validation.h"
#include "datasets/chat_writer.h"
#include "datasets/cleaning_report.h"
#include "datasets/data_cleaner.h"
#include "datasets/dataset_report.h"
#include "datasets/dataset_split.h"
#include "datasets/length_stats.h"
#include "datasets/preference_report.h"
#include "datasets/preference_writer.h"
#include "tokenizer/chat_messages.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei::cli {

namespace {

using nlohmann::ordered_json;

// Thrown after a report has been printed: the CLI exits 1 without another message.
struct ReportedFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ConvertArgs {
  std::string from = "auto", to = "openai", input, out;
  std::vector<std::string> map, keep;
  bool skip_invalid = false;
};

bool is_preference_format(const std::string& name) {
  auto f = preference_formats();
  // "sharegpt" names both a chat and a preference format: the file decides.
  return name != "auto" && name != "sharegpt" && std::find(f.begin(), f.end(), name) != f.end();
}

// Preference data (pairs or KTO) converts between the preference formats.
void run_preference_convert(const ConvertArgs& a) {
  PreferenceReadOptions opt;
  opt.from = a.from;
  opt.skip_invalid = a.skip_invalid;
  auto data = read_preference_dataset(a.input, opt);
  const std::string to = a.to == "openai" ? "openai-dpo" : a.to;
  auto lines = write_preference_jsonl(a.out, data, to);
  std::cout << "wrote " << lines << " " << to << " lines to " << a.out;
  if (!data.errors.empty()) std::cout << " (skipped " << data.errors.size() << " invalid records)";
  std::cout << "\n";
}

void run_convert(const ConvertArgs& a) {
  if (a.to != "openai" || is_preference_format(a.from) ||
      ((a.from == "auto" || a.from == "sharegpt") && looks_like_preference_file(a.input)))
    return run_preference_convert(a);
  ChatReadOptions opt;
  opt.format = a.from;
  opt.column_map = parse_column_map(a.map);
  opt.keep_fields = a.keep;
  opt.skip_invalid = a.skip_invalid;
  auto data = read_chat_dataset(a.input, opt);
  write_openai_jsonl(a.out, data.conversations);
  std::cout << "wrote " << data.conversations.size() << " conversations to " << a.out;
  if (!data.errors.empty()) std::cout << " (skipped " << data.errors.size() << " invalid records)";
  std::cout << "\n";
}

struct ValidateArgs {
  std::string file, tokenizer;
  std::int64_t max_tokens = 4096;
  bool json = false;
};

// With a tokenizer (a model directory): the template it would be fine-tuned with.
struct TokenizerAndTemplate {
  LoadedTokenizer tokenizer;
  std::unique_ptr<ChatTemplate> tmpl;
};

TokenizerAndTemplate load_with_template(const std::string& dir, const std::string& name) {
  TokenizerAndTemplate t;
  if (dir.empty()) return t;
  t.tokenizer = load_tokenizer(dir);
  t.tmpl = std::make_unique<ChatTemplate>(prepare_chat_tokenizer(t.tokenizer, name));
  return t;
}

void print_preference_report(const std::string& file, const std::string& tokenizer,
                             const std::string& template_name, std::int64_t max_seq_len,
                             bool json) {
  auto t = load_with_template(tokenizer, template_name);
  PreferenceReportOptions opt;
  opt.tokenizer = t.tokenizer.tokenizer.get();
  opt.tmpl = t.tmpl.get();
  opt.max_seq_len = max_seq_len;
  auto r = preference_report(file, opt);
  if (json)
    std::cout << preference_report_json(r, file, max_seq_len).dump(2) << "\n";
  else
    std::cout << preference_report_text(r, max_seq_len);
  if (!r.ok()) throw ReportedFailure(file + ": " + std::to_string(r.errors.size()) + " error(s)");
}

void run_validate(const ValidateArgs& a) {
  if (looks_like_preference_file(a.file))
    return print_preference_report(a.file, a.tokenizer, "", a.max_tokens, a.json);
  LoadedTokenizer tok;
  ValidationOptions opt;
  opt.max_tokens = a.max_tokens;
  if (!a.tokenizer.empty()) {
    tok = load_tokenizer(a.tokenizer);
    opt.tokenizer = tok.tokenizer.get();
  }
  auto r = validate_chat_jsonl(a.file, opt);
  if (a.json)
    std::cout << validation_json(r, a.file, !a.tokenizer.empty()).dump(2) << "\n";
  else
    std::cout << validation_text(r, !a.tokenizer.empty());
  if (!r.ok()) throw ReportedFailure(a.file + ": " + std::to_string(r.errors.size()) + " error(s)");
}

struct SplitArgs {
  std::string input, out_dir;
  SplitOptions options;
};

struct StatsArgs {
  std::string file, tokenizer, from = "auto";
  std::vector<std::string> map;
  std::string chat_template;
  std::int64_t max_seq_len = 2048;
  bool json = false;
};

void run_stats(const StatsArgs& a) {
  if (is_preference_format(a.from) ||
      ((a.from == "auto" || a.from == "sharegpt") && looks_like_preference_file(a.file)))
    return print_preference_report(a.file, a.tokenizer, a.chat_template, a.max_seq_len, a.json);
  ChatReadOptions ro;
  ro.format = a.from;
  ro.column_map = parse_column_map(a.map);
  auto data = read_chat_dataset(a.file, ro);
  // The tokenizer as fine-tuning would extend it: a base model without the template's
  // tokens gets them, so the counts are those `sft` trains on.
  auto tok = load_tokenizer(a.tokenizer);
  std::vector<std::string> added;
  auto tmpl = prepare_chat_tokenizer(tok, a.chat_template, &added);
  auto stats = dataset_stats(data.conversations, *tok.tokenizer, tmpl, a.max_seq_len);
  stats.added_tokens = added;
  if (a.json)
    std::cout << stats_json(stats).dump(2) << "\n";
  else
    std::cout << stats_text(stats);
}

struct CleanArgs {
  std::string input, out, report, from = "auto";
  std::vector<std::string> map, unsafe_packs;
  CleanOptions options;
  bool no_near_dup = false, redact_pii = false, drop_unsafe = false;
};

void run_clean(CleanArgs a) {
  ChatReadOptions ro;
  ro.format = a.from;
  ro.column_map = parse_column_map(a.map);
  auto data = read_chat_dataset(a.input, ro);
  a.options.near_duplicates = !a.no_near_dup;
  auto r = clean_dataset(std::move(data.conversations),
                         {a.options, a.redact_pii, a.drop_unsafe, a.unsafe_packs});
  write_openai_jsonl(a.out, r.kept);
  const std::string report = a.report.empty() ? a.out + ".report.json" : a.report;
  ordered_json j = {{"input", a.input}, {"output", a.out}};
  j.update(r.report);
  write_file_atomic(report, j.dump(2) + "\n");
  std::cout << "kept " << r.kept.size() << " of " << r.report["examples"].get<std::int64_t>()
            << " -> " << a.out << "\n";
  for (const auto& [reason, n] : r.reasons)
    std::cout << "  dropped " << reason << ": " << n << "\n";
  if (a.redact_pii)
    std::cout << "  redacted PII or secrets in " << r.redacted_conversations << " conversations\n";
  std::cout << "report: " << report << "\n";
}

std::vector<std::string> convert_formats() {
  std::vector<std::string> f = {"auto", "openai", "sharegpt", "alpaca", "csv"};
  for (const auto& p : preference_formats())
    if (p != "auto" && p != "sharegpt") f.push_back(p);
  return f;
}

}  // namespace

void add_data_commands(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Convert, validate, split and describe fine-tuning data");
  data->require_subcommand(1);

  auto conv = std::make_shared<ConvertArgs>();
  auto* convert = data->add_subcommand(
      "convert",
      "Convert chat data (OpenAI, ShareGPT, Alpaca, CSV) to OpenAI JSONL, or preference data "
      "(TRL, OpenAI DPO, HH-RLHF, LLaMA-Factory, turbo-alignment, KTO) to openai-dpo, trl or kto");
  convert->add_option("input", conv->input, "Input file")->required()->check(CLI::ExistingFile);
  convert->add_option("--from", conv->from, "Input format")
      ->check(CLI::IsMember(convert_formats()))
      ->capture_default_str();
  convert
      ->add_option(
          "--to", conv->to,
          "Output format: openai (chat JSONL; DPO for preference data), openai-dpo, trl, kto")
      ->check(CLI::IsMember({"openai", "openai-dpo", "trl", "kto"}))
      ->capture_default_str();
  add_repeatable(convert, "--map", conv->map,
                 "CSV column to role, e.g. instruction=user (repeatable)");
  add_repeatable(convert, "--keep", conv->keep,
                 "Extra column or field to keep as a top-level field (repeatable)");
  convert->add_option("--out", conv->out, "Output JSONL")->required();
  convert->add_flag("--skip-invalid", conv->skip_invalid,
                    "Drop invalid records (counted) instead of failing");
  convert->callback([conv] { run_convert(*conv); });

  auto val = std::make_shared<ValidateArgs>();
  auto* validate = data->add_subcommand(
      "validate", "Check chat JSONL as OpenAI's data-prep notebook does, and more");
  validate->add_option("file", val->file, "Chat JSONL file")->required()->check(CLI::ExistingFile);
  validate->add_option("--tokenizer", val->tokenizer,
                       "Tokenizer for token counts and the too_long check");
  validate->add_option("--max-tokens", val->max_tokens, "Longest allowed example in tokens")
      ->capture_default_str();
  validate->add_flag("--json", val->json, "Print a JSON report");
  validate->callback([val] { run_validate(*val); });

  auto sp = std::make_shared<SplitArgs>();
  auto* split = data->add_subcommand("split", "Split JSONL into train.jsonl and val.jsonl");
  split->add_option("input", sp->input, "Input JSONL")->required()->check(CLI::ExistingFile);
  split->add_option("--val", sp->options.val_fraction, "Validation fraction")
      ->capture_default_str();
  split->add_option("--seed", sp->options.seed, "Shuffle seed")->capture_default_str();
  split->add_option("--stratify", sp->options.stratify_field,
                    "Top-level field whose values keep their shares");
  split->add_option("--out-dir", sp->out_dir, "Output directory")->required();
  split->callback([sp] {
    auto c = split_jsonl(sp->input, sp->out_dir, sp->options);
    std::cout << "train " << c.train << ", val " << c.val << " -> " << sp->out_dir << "\n";
  });

  auto cl = std::make_shared<CleanArgs>();
  auto* clean =
      data->add_subcommand("clean", "Drop exact and near duplicates, spam and junk; report why");
  clean->add_option("input", cl->input, "Dataset file")->required()->check(CLI::ExistingFile);
  clean->add_option("--out", cl->out, "Kept examples (OpenAI JSONL)")->required();
  clean->add_option("--report", cl->report, "Report JSON (default: OUT.report.json)");
  clean->add_option("--from", cl->from, "Input format")->capture_default_str();
  add_repeatable(clean, "--map", cl->map, "CSV column to role (repeatable)");
  clean
      ->add_option("--near-dup-threshold", cl->options.near_duplicate_threshold,
                   "Estimated Jaccard similarity (MinHash) that makes a near duplicate")
      ->capture_default_str();
  clean->add_flag("--no-near-dup", cl->no_near_dup, "Only exact duplicates");
  clean->add_flag("--redact-pii", cl->redact_pii,
                  "Redact PII and secrets in every turn (built-in pii and secrets packs)");
  clean->add_flag("--drop-unsafe", cl->drop_unsafe,
                  "Drop conversations the prompt_injection or harmful packs block");
  add_repeatable(clean, "--unsafe-pack", cl->unsafe_packs,
                 "A pack --drop-unsafe blocks with: built-in name (safety: the learned "
                 "classifier), JSON file or pack folder (repeatable; default: prompt_injection "
                 "and harmful)");
  clean->add_option("--min-chars", cl->options.min_chars, "Shortest conversation kept")
      ->capture_default_str();
  clean->add_option("--max-chars", cl->options.max_chars, "Longest conversation kept")
      ->capture_default_str();
  clean
      ->add_option("--max-symbol-ratio", cl->options.max_symbol_ratio, "Most symbols per character")
      ->capture_default_str();
  clean
      ->add_option("--max-repetition", cl->options.max_repetition,
                   "Most repeated-word or repeated-line share")
      ->capture_default_str();
  clean->callback([cl] { run_clean(*cl); });

  auto st = std::make_shared<StatsArgs>();
  auto* stats = data->add_subcommand("stats", "Examples, turns, roles, token lengths, epochs");
  stats->add_option("file", st->file, "Dataset file")->required()->check(CLI::ExistingFile);
  stats
      ->add_option("--tokenizer", st->tokenizer,
                   "Tokenizer (a model directory for its chat template)")
      ->required();
  stats->add_option("--from", st->from, "Input format")->capture_default_str();
  add_repeatable(stats, "--map", st->map, "CSV column to role (repeatable)");
  stats->add_option("--max-seq-len", st->max_seq_len, "Length to count overflows against")
      ->capture_default_str();
  stats->add_option("--template", st->chat_template,
                    "Chat template (as sft's template key; default: the model's, else chatml)");
  stats->add_flag("--json", st->json, "Print JSON");
  stats->callback([st] { run_stats(*st); });
}

}  // namespace chosei::cli
