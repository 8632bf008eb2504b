#include "labeling/label_export.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

using json = nlohmann::ordered_json;

namespace {

struct Majority {
  LabelChoice choice = LabelChoice::kTie;
  bool strong = false;
  double agreement = 0;
  std::vector<std::string> annotators;
};

// The most chosen of the item's decisions; nullopt when the top choices are level.
std::optional<Majority> majority_of(const std::vector<const StandingDecision*>& votes) {
  std::map<LabelChoice, int> count, strong;
  Majority m;
  for (const auto* v : votes) {
    ++count[v->choice];
    strong[v->choice] += v->strength >= 2;
    m.annotators.push_back(v->annotator);
  }
  int best = 0, level = 0;
  for (const auto& [c, n] : count) {
    if (n > best)
      best = n, m.choice = c, level = 1;
    else if (n == best)
      ++level;
  }
  if (level > 1) return std::nullopt;
  m.strong = 2 * strong[m.choice] > best;
  m.agreement = static_cast<double>(best) / static_cast<double>(votes.size());
  return m;
}

json assistant(const std::string& content) {
  return json::array({{{"role", "assistant"}, {"content", content}}});
}

json provenance(const std::string& session, const StoredItem& item, const Majority& m) {
  return {{"session", session},
          {"item", item.external_id},
          {"annotators", m.annotators},
          {"agreement", m.agreement},
          {"strong", m.strong}};
}

void write_lines(ExportFormat format, const std::string& session, const StoredItem& item,
                 const Majority& m, std::vector<std::string>& lines) {
  auto prompt = json::parse(item.prompt_json, nullptr, false);
  if (prompt.is_discarded()) prompt = json::array();
  const bool a_wins = m.choice == LabelChoice::kA;
  const std::string& winner = a_wins ? item.a.content : item.b.content;
  const std::string& loser = a_wins ? item.b.content : item.a.content;
  const auto meta = provenance(session, item, m);
  auto emit = [&](json j) {
    j["metadata"] = meta;
    lines.push_back(j.dump(-1, ' ', false, json::error_handler_t::replace));
  };
  if (format == ExportFormat::kKto) {
    auto kto = [&](const std::string& completion, bool desirable) {
      emit({{"prompt", prompt}, {"completion", assistant(completion)}, {"label", desirable}});
    };
    if (m.choice == LabelChoice::kBothBad) {
      kto(item.a.content, false);
      kto(item.b.content, false);
    } else if (m.choice != LabelChoice::kTie) {
      kto(winner, true);
      if (m.strong) kto(loser, false);
    }
    return;
  }
  if (m.choice == LabelChoice::kTie || m.choice == LabelChoice::kBothBad) return;
  if (format == ExportFormat::kTrl)
    emit({{"prompt", prompt}, {"chosen", assistant(winner)}, {"rejected", assistant(loser)}});
  else
    emit({{"input", {{"messages", prompt}}},
          {"preferred_output", assistant(winner)},
          {"non_preferred_output", assistant(loser)}});
}

}  // namespace

ExportFormat parse_export_format(const std::string& name) {
  if (name == "trl") return ExportFormat::kTrl;
  if (name == "openai-dpo") return ExportFormat::kOpenAiDpo;
  if (name == "kto") return ExportFormat::kKto;
  throw std::invalid_argument("export format \"" + name + "\" is not one of trl, openai-dpo, kto");
}

ExportSummary export_labels(LabelStore& store, std::int64_t session, ExportFormat format,
                            double min_agreement, const std::string& path) {
  const std::string name = store.session_name(session);
  const auto decisions = store.standing_decisions(session);
  std::map<std::int64_t, std::vector<const StandingDecision*>> by_item;
  for (const auto& d : decisions) by_item[d.item].push_back(&d);
  ExportSummary summary;
  std::vector<std::string> lines;
  for (const auto& item : store.items(session)) {
    ++summary.items;
    auto it = by_item.find(item.id);
    if (it == by_item.end()) {
      ++summary.left_out["no_decision"];
      continue;
    }
    const auto m = majority_of(it->second);
    if (!m) {
      ++summary.left_out["annotators_split"];
      continue;
    }
    if (m->agreement < min_agreement) {
      ++summary.left_out["below_min_agreement"];
      continue;
    }
    if (format != ExportFormat::kKto &&
        (m->choice == LabelChoice::kTie || m->choice == LabelChoice::kBothBad)) {
      ++summary.left_out[to_string(m->choice)];
      continue;
    }
    if (format == ExportFormat::kKto && m->choice == LabelChoice::kTie) {
      ++summary.left_out["tie"];
      continue;
    }
    write_lines(format, name, item, *m, lines);
  }
  summary.lines = static_cast<std::int64_t>(lines.size());
  write_file_atomic(path, [&](std::ostream& out) {
    for (const auto& l : lines) out << l << "\n";
  });
  return summary;
}

}  // namespace chosei
