// `chosei data convert|validate|split|stats`: check, convert and split fine-tuning data.

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "datasets/chat_reader.h"
#include "datasets/chat_validation.h"
#include "datasets/chat_writer.h"
#include "datasets/data_cleaner.h"
#include "datasets/dataset_split.h"
#include "datasets/length_stats.h"
#include "datasets/safety_screen.h"
#include "model/atomic_file.h"
#include "model/chat_template.h"
#include "model/tokenizer_loader.h"

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

void run_convert(const ConvertArgs& a) {
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

ordered_json distribution_json(const Distribution& d) {
  return {{"min", d.min},       {"max", d.max}, {"mean", d.mean},
          {"median", d.median}, {"p10", d.p10}, {"p90", d.p90}};
}

struct ValidateArgs {
  std::string file, tokenizer;
  std::int64_t max_tokens = 4096;
  bool json = false;
};

void print_validation(const ValidationReport& r, const ValidateArgs& a) {
  std::cout << "Num examples: " << r.examples << "\n";
  if (r.errors.empty()) {
    std::cout << "No errors found\n";
  } else {
    std::cout << "Found errors:\n";
    for (const auto& [kind, n] : r.error_counts) std::cout << "  " << kind << ": " << n << "\n";
    for (const auto& e : r.errors)
      std::cout << e.where() << ": " << e.kind << ": " << e.message << "\n";
  }
  std::cout << "Num examples missing system message: " << r.missing_system << "\n";
  std::cout << "Num examples missing user message: " << r.missing_user << "\n";
  auto m = summarize(r.messages_per_example);
  std::cout << "Messages per example: min " << m.min << ", max " << m.max << ", mean " << m.mean
            << ", median " << m.median << "\n";
  if (!a.tokenizer.empty()) {
    auto t = summarize(r.example_tokens), at = summarize(r.assistant_tokens);
    std::cout << "Tokens per example: min " << t.min << ", max " << t.max << ", mean " << t.mean
              << ", median " << t.median << ", p10 " << t.p10 << ", p90 " << t.p90 << "\n";
    std::cout << "Assistant tokens per example: min " << at.min << ", max " << at.max << ", mean "
              << at.mean << "\n";
  }
  std::cout << "By default, you'll train for " << r.epochs << " epochs on this dataset\n";
}

void run_validate(const ValidateArgs& a) {
  LoadedTokenizer tok;
  ValidationOptions opt;
  opt.max_tokens = a.max_tokens;
  if (!a.tokenizer.empty()) {
    tok = load_tokenizer(a.tokenizer);
    opt.tokenizer = tok.tokenizer.get();
  }
  auto r = validate_chat_jsonl(a.file, opt);
  if (a.json) {
    ordered_json errors = ordered_json::object(), lines = ordered_json::array();
    for (const auto& [kind, n] : r.error_counts) errors[kind] = n;
    for (const auto& e : r.errors)
      lines.push_back({{"line", e.line}, {"kind", e.kind}, {"message", e.message}});
    ordered_json j = {
        {"file", a.file},
        {"examples", r.examples},
        {"errors", errors},
        {"error_lines", lines},
        {"warnings", {{"missing_system", r.missing_system}, {"missing_user", r.missing_user}}},
        {"epochs", r.epochs},
        {"messages_per_example", distribution_json(summarize(r.messages_per_example))}};
    if (!a.tokenizer.empty()) {
      j["tokens_per_example"] = distribution_json(summarize(r.example_tokens));
      j["assistant_tokens_per_example"] = distribution_json(summarize(r.assistant_tokens));
    }
    std::cout << j.dump(2) << "\n";
  } else {
    print_validation(r, a);
  }
  if (!r.ok()) throw ReportedFailure(a.file + ": " + std::to_string(r.errors.size()) + " error(s)");
}

struct SplitArgs {
  std::string input, out_dir;
  SplitOptions options;
};

struct StatsArgs {
  std::string file, tokenizer, from = "auto";
  std::vector<std::string> map;
  std::int64_t max_seq_len = 2048;
  bool json = false;
};

void run_stats(const StatsArgs& a) {
  ChatReadOptions ro;
  ro.format = a.from;
  ro.column_map = parse_column_map(a.map);
  auto data = read_chat_dataset(a.file, ro);
  auto tok = load_tokenizer(a.tokenizer);
  auto tmpl = tok.config.chat_template.empty() ? ChatTemplate::by_name("chatml")
                                               : ChatTemplate::detect(tok.config.chat_template);
  std::map<std::string, std::int64_t> roles;
  std::vector<std::int64_t> lengths, labeled, turns;
  for (const auto& c : data.conversations) {
    std::vector<ChatMessage> msgs;
    for (const auto& t : c.turns) msgs.push_back({t.role, t.content}), ++roles[t.role];
    auto r = tmpl.render(*tok.tokenizer, msgs, false);
    lengths.push_back(static_cast<std::int64_t>(r.ids.size()));
    labeled.push_back(std::count(r.assistant_mask.begin(), r.assistant_mask.end(), 1));
    turns.push_back(static_cast<std::int64_t>(c.turns.size()));
  }
  auto len = summarize(lengths), lab = summarize(labeled), tr = summarize(turns);
  std::int64_t over = std::count_if(lengths.begin(), lengths.end(),
                                    [&](std::int64_t n) { return n > a.max_seq_len; });
  const auto n = static_cast<std::int64_t>(data.conversations.size());
  if (a.json) {
    ordered_json j = {{"examples", n},
                      {"turns", tr.sum},
                      {"roles", roles},
                      {"chat_template", tmpl.name()},
                      {"tokens_per_example", distribution_json(len)},
                      {"assistant_tokens_per_example", distribution_json(lab)},
                      {"tokens_per_epoch", len.sum},
                      {"assistant_tokens_per_epoch", lab.sum},
                      {"over_max_seq_len", over},
                      {"estimated_epochs", default_epochs(n)}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "examples: " << n << "   turns: " << tr.sum << "   template: " << tmpl.name()
            << "\n";
  for (const auto& [role, count] : roles)
    std::cout << "  " << std::left << std::setw(10) << role << count << "\n";
  std::cout << std::fixed << std::setprecision(1) << "tokens per example: min " << len.min
            << ", median " << len.median << ", mean " << len.mean << ", p90 " << len.p90 << ", max "
            << len.max << "\n";
  std::cout << "assistant (labeled) tokens per example: mean " << lab.mean << ", max " << lab.max
            << "\n";
  std::cout << "tokens per epoch: " << static_cast<std::int64_t>(len.sum) << " ("
            << static_cast<std::int64_t>(lab.sum) << " labeled)\n";
  std::cout << "longer than " << a.max_seq_len << " tokens: " << over << "\n";
  std::cout << "estimated epochs: " << default_epochs(n) << "\n\ntoken length histogram:\n"
            << text_histogram(lengths);
}

struct CleanArgs {
  std::string input, out, report, from = "auto";
  std::vector<std::string> map;
  CleanOptions options;
  bool no_near_dup = false, redact_pii = false, drop_unsafe = false;
};

// The safety screen before cleaning: drops conversations with blocked content, redacts PII
// and secrets in the rest. Returns the screened conversations' input indices.
std::vector<std::size_t> screen(const CleanArgs& a, std::vector<Conversation>& conversations,
                                ordered_json& dropped, std::map<std::string, std::int64_t>& reasons,
                                ordered_json& redactions) {
  std::vector<std::size_t> kept;
  std::unique_ptr<FilterEngine> redactor, blocker;
  if (a.redact_pii)
    redactor = std::make_unique<FilterEngine>(
        std::vector<RulePack>{load_rule_pack("pii"), load_rule_pack("secrets")});
  if (a.drop_unsafe)
    blocker = std::make_unique<FilterEngine>(
        std::vector<RulePack>{load_rule_pack("prompt_injection"), load_rule_pack("harmful")});
  auto r = screen_conversations(conversations, redactor.get(), blocker.get());
  for (std::size_t i = 0; i < conversations.size(); ++i) {
    if (!r.drop[i]) {
      kept.push_back(i);
      continue;
    }
    ++reasons["unsafe"];
    dropped.push_back(
        {{"line", conversations[i].line}, {"reason", "unsafe"}, {"rule", r.drop_rule[i]}});
  }
  redactions = {{"conversations", r.redacted_conversations}, {"by_rule", r.redactions}};
  return kept;
}

void run_clean(CleanArgs a) {
  ChatReadOptions ro;
  ro.format = a.from;
  ro.column_map = parse_column_map(a.map);
  auto data = read_chat_dataset(a.input, ro);
  a.options.near_duplicates = !a.no_near_dup;
  std::map<std::string, std::int64_t> reasons;
  ordered_json dropped = ordered_json::array(), redactions = ordered_json::object();
  auto screened = screen(a, data.conversations, dropped, reasons, redactions);
  std::vector<Conversation> candidates;
  for (auto i : screened) candidates.push_back(data.conversations[i]);
  auto r = clean_conversations(candidates, a.options);
  std::vector<Conversation> kept;
  for (auto i : r.kept) kept.push_back(candidates[i]);
  write_openai_jsonl(a.out, kept);
  for (const auto& d : r.dropped) {
    ++reasons[d.reason];
    ordered_json j = {{"line", d.line}, {"reason", d.reason}};
    if (d.duplicate_of_line)
      j["duplicate_of_line"] = d.duplicate_of_line, j["similarity"] = d.similarity;
    dropped.push_back(j);
  }
  const std::string report = a.report.empty() ? a.out + ".report.json" : a.report;
  ordered_json j = {{"input", a.input},
                    {"output", a.out},
                    {"examples", data.conversations.size()},
                    {"kept", kept.size()},
                    {"dropped", dropped.size()},
                    {"redactions", redactions},
                    {"reasons", reasons},
                    {"dropped_examples", dropped}};
  write_file_atomic(report, j.dump(2) + "\n");
  std::cout << "kept " << kept.size() << " of " << data.conversations.size() << " -> " << a.out
            << "\n";
  for (const auto& [reason, n] : reasons) std::cout << "  dropped " << reason << ": " << n << "\n";
  if (a.redact_pii)
    std::cout << "  redacted PII or secrets in " << redactions["conversations"].get<std::int64_t>()
              << " conversations\n";
  std::cout << "report: " << report << "\n";
}

}  // namespace

void add_data_commands(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Convert, validate, split and describe fine-tuning data");
  data->require_subcommand(1);

  auto conv = std::make_shared<ConvertArgs>();
  auto* convert = data->add_subcommand(
      "convert", "Convert chat data (OpenAI, ShareGPT, Alpaca, CSV) to OpenAI JSONL");
  convert->add_option("input", conv->input, "Input file")->required()->check(CLI::ExistingFile);
  convert->add_option("--from", conv->from, "Input format")
      ->check(CLI::IsMember({"auto", "openai", "sharegpt", "alpaca", "csv"}))
      ->capture_default_str();
  convert->add_option("--to", conv->to, "Output format")
      ->check(CLI::IsMember({"openai"}))
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
  stats->add_flag("--json", st->json, "Print JSON");
  stats->callback([st] { run_stats(*st); });
}

}  // namespace chosei::cli
