// `chosei label create|import|stats`: human preference labeling sessions (labeling/).

#include <fstream>
#include <iostream>
#include <sstream>

#include "base/precision.h"
#include "chat/chat_server.h"
#include "chat/label_routes.h"
#include "cli/commands.h"
#include "datasets/preference_reader.h"
#include "datasets/prompt_reader.h"
#include "eval/answer_pairs.h"
#include "labeling/decision_import.h"
#include "labeling/label_export.h"
#include "labeling/label_store.h"
#include "labeling/session_statistics.h"
#include "labeling/statistics_json.h"

namespace chosei::cli {

namespace {

struct CreateArgs {
  std::string db, name, pairs, prompts, guidelines, from = "auto", precision = "fp32";
  std::vector<std::string> models;
  int overlap = 1, break_minutes = 45;
  std::int64_t seed = 0;
  AnswerPairOptions generation;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string messages_json(const std::vector<Turn>& turns) {
  auto j = nlohmann::json::array();
  for (const auto& t : turns) j.push_back({{"role", t.role}, {"content", t.content}});
  return j.dump();
}

// Imported pairs: a is the answer given first (chosen), b the other; never a screen side.
std::vector<LabelItemInput> items_from_pairs(const std::string& path, const std::string& from) {
  PreferenceReadOptions options;
  options.from = from;
  const auto data = read_preference_dataset(path, options);
  if (data.pairs.empty()) throw std::runtime_error(path + ": no preference pairs");
  std::vector<LabelItemInput> items;
  for (const auto& p : data.pairs) {
    LabelItemInput x;
    x.external_id = p.id.empty() ? "line-" + std::to_string(p.line) : p.id;
    x.prompt_json = messages_json(p.prompt);
    x.a.content = turns_text(p.chosen);
    x.b.content = turns_text(p.rejected);
    items.push_back(std::move(x));
  }
  return items;
}

std::int64_t pick_session(LabelStore& store, const std::string& name) {
  if (!name.empty()) return store.session_id(name);
  if (auto only = store.only_session()) return *only;
  throw std::invalid_argument("the database holds " + std::to_string(store.sessions().size()) +
                              " sessions; name one with --session");
}

void run_create(const CreateArgs& a) {
  if (a.overlap < 1) throw std::invalid_argument("--overlap must be at least 1");
  SessionSpec spec;
  spec.name = a.name;
  spec.overlap = a.overlap;
  spec.seed = a.seed;
  if (a.break_minutes < 0) throw std::invalid_argument("--break-minutes must be 0 or more");
  spec.break_minutes = a.break_minutes;
  if (!a.guidelines.empty()) spec.guidelines = read_text(a.guidelines);
  if (a.pairs.empty() == a.prompts.empty())
    throw std::invalid_argument("give --pairs FILE or --prompts FILE with --model NAME=DIR");
  // A taken name fails before minutes of generation, not after.
  LabelStore store(a.db);
  for (const auto& s : store.sessions())
    if (s.name == a.name)
      throw std::invalid_argument("a session named \"" + a.name + "\" already exists in " + a.db);
  std::vector<LabelItemInput> items;
  if (!a.pairs.empty()) {
    if (!a.models.empty()) throw std::invalid_argument("--model answers --prompts, not --pairs");
    items = items_from_pairs(a.pairs, a.from);
  } else {
    auto g = a.generation;
    for (const auto& m : a.models) g.models.push_back(parse_named_dir("--model", m));
    g.seed = static_cast<std::uint64_t>(a.seed);
    g.precision = parse_precision(a.precision);
    auto generated = generate_answer_pairs(read_prompt_file(a.prompts), g);
    if (generated.identical)
      std::cout << generated.identical << " pair(s) left out: both answers were the same text\n";
    if (generated.empty) std::cout << generated.empty << " pair(s) left out: an answer was empty\n";
    if (generated.items.empty())
      throw std::runtime_error(
          "no pair left to label: every one was identical or had an empty answer");
    items = std::move(generated.items);
  }
  store.create_session(spec, items);
  std::cout << "session " << a.name << ": " << items.size() << " items, " << a.overlap
            << " annotator(s) each -> " << a.db << "\n";
}

void run_import(const std::string& db, const std::string& labels, const std::string& session) {
  LabelStore store(db);
  const auto decisions = read_decision_lines(labels);
  std::vector<std::pair<std::int64_t, DecisionInput>> batch;
  for (const auto& d : decisions) {
    try {
      batch.emplace_back(pick_session(store, d.session.empty() ? session : d.session), d.decision);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(labels + ":" + std::to_string(d.line) + ": " + e.what());
    }
  }
  std::size_t stored = 0;
  try {
    stored = store.record_decisions(batch);  // all or nothing
  } catch (const DecisionError& e) {
    throw std::runtime_error(labels + ":" + std::to_string(decisions[e.index].line) + ": " +
                             e.what() + " (nothing imported)");
  }
  std::cout << "imported " << stored << " of " << decisions.size() << " decisions ("
            << decisions.size() - stored << " already stored)\n";
}

struct ExportArgs {
  std::string db, session, format, out;
  double min_agreement = 0;
};

void run_export(const ExportArgs& a) {
  const auto format = parse_export_format(a.format);
  LabelStore store(a.db);
  const auto s =
      export_labels(store, pick_session(store, a.session), format, a.min_agreement, a.out);
  std::cout << "exported " << s.lines << " lines from " << s.items << " items -> " << a.out;
  for (const auto& [reason, n] : s.left_out) std::cout << "; " << reason << " " << n;
  std::cout << "\n";
}

void run_stats(const std::string& db, const std::string& session, bool as_json) {
  LabelStore store(db);
  const std::int64_t id = pick_session(store, session);
  const auto stats = session_statistics(store, id);
  if (as_json)
    std::cout << statistics_json(stats).dump(2) << "\n";
  else
    std::cout << statistics_text(stats);
}

}  // namespace

void add_label_commands(CLI::App& app) {
  auto* label = app.add_subcommand("label", "Human preference labeling sessions");
  label->require_subcommand(1);

  auto cr = std::make_shared<CreateArgs>();
  auto* create = label->add_subcommand(
      "create", "Create a session from preference pairs, or from prompts answered by models");
  create->add_option("--db", cr->db, "Labeling database (SQLite; created if missing)")->required();
  create->add_option("--name", cr->name, "Session name")->required();
  create->add_option("--pairs", cr->pairs, "Preference pairs (any format chosei reads)")
      ->check(CLI::ExistingFile);
  create->add_option("--prompts", cr->prompts, "Prompts to answer ({\"prompt\"} or {\"messages\"})")
      ->check(CLI::ExistingFile);
  add_repeatable(create, "--model", cr->models,
                 "NAME=DIR answering the prompts: two (a and b) or one sampled twice");
  auto& g = cr->generation;
  create->add_option("--samples", g.samples, "Answer pairs per prompt")->capture_default_str();
  create->add_option("--temperature", g.temperature, "Sampling temperature")->capture_default_str();
  create->add_option("--top-p", g.top_p, "Nucleus sampling")->capture_default_str();
  create->add_option("--max-new-tokens", g.max_new_tokens, "Longest answer")->capture_default_str();
  create->add_option("--batch", g.max_batch, "Answers decoded together")->capture_default_str();
  create->add_option("--precision", cr->precision, "fp32 or bf16")->capture_default_str();
  create->add_option("--from", cr->from, "Preference format")->capture_default_str();
  create->add_option("--overlap", cr->overlap, "Distinct annotators per item")
      ->capture_default_str();
  create->add_option("--guidelines", cr->guidelines, "Guidelines for annotators (Markdown)")
      ->check(CLI::ExistingFile);
  create->add_option("--seed", cr->seed, "Seed for side assignment")->capture_default_str();
  create
      ->add_option("--break-minutes", cr->break_minutes,
                   "The page suggests a break after this many minutes of labeling (0: never)")
      ->capture_default_str();
  create->callback([cr] { run_create(*cr); });

  auto im = std::make_shared<std::array<std::string, 3>>();
  auto* importer = label->add_subcommand("import", "Add decisions made elsewhere (JSONL)");
  importer->add_option("--db", (*im)[0], "Labeling database")->required()->check(CLI::ExistingFile);
  importer->add_option("--labels", (*im)[1], "{\"item\", \"annotator\", \"choice\"} lines")
      ->required()
      ->check(CLI::ExistingFile);
  importer->add_option("--session", (*im)[2], "Session (needed when the database holds several)");
  importer->callback([im] { run_import((*im)[0], (*im)[1], (*im)[2]); });

  struct ServeArgs {
    ChatServerOptions options;
    std::string annotators;
  };
  auto sv = std::make_shared<ServeArgs>();
  auto* serve = label->add_subcommand("serve", "The labeling pages and JSON API");
  serve->add_option("--db", sv->options.label_db, "Labeling database")
      ->required()
      ->check(CLI::ExistingFile);
  serve->add_option("--host", sv->options.host, "Address to listen on")->capture_default_str();
  serve->add_option("--port", sv->options.port, "Port (0 picks a free one)")->capture_default_str();
  serve->add_option("--annotators", sv->annotators, "\"name key\" per line")
      ->required()
      ->check(CLI::ExistingFile);
  serve->add_option("--admin-key", sv->options.label_admin_key, "Key of the admin routes");
  serve
      ->add_option("--lease-seconds", sv->options.label_lease_seconds,
                   "How long an item stays reserved for the annotator who got it")
      ->capture_default_str();
  serve->callback([sv] {
    auto o = sv->options;
    o.annotators = read_annotators_file(sv->annotators);
    o.filters = false;
    serve_until_signal(o, "chosei label serve");
  });

  auto ex = std::make_shared<ExportArgs>();
  auto* exporter = label->add_subcommand("export", "Majority decisions as training data");
  exporter->add_option("--db", ex->db, "Labeling database")->required()->check(CLI::ExistingFile);
  exporter->add_option("--session", ex->session,
                       "Session (needed when the database holds several)");
  exporter->add_option("--format", ex->format, "trl, openai-dpo or kto")
      ->required()
      ->check(CLI::IsMember({"trl", "openai-dpo", "kto"}));
  exporter->add_option("--out", ex->out, "Output JSONL")->required();
  exporter
      ->add_option("--min-agreement", ex->min_agreement,
                   "Leave out items whose majority has a smaller share of the annotators")
      ->capture_default_str();
  exporter->callback([ex] { run_export(*ex); });

  auto st = std::make_shared<std::array<std::string, 2>>();
  auto st_json = std::make_shared<bool>(false);
  auto* stats = label->add_subcommand("stats", "Progress, agreement, position bias, leaderboard");
  stats->add_option("--db", (*st)[0], "Labeling database")->required()->check(CLI::ExistingFile);
  stats->add_option("--session", (*st)[1], "Session (needed when the database holds several)");
  stats->add_flag("--json", *st_json, "Print one JSON object");
  stats->callback([st, st_json] { run_stats((*st)[0], (*st)[1], *st_json); });
}

}  // namespace chosei::cli
