#include "labeling/statistics_json.h"

#include <iomanip>
#include <sstream>

namespace chosei {

namespace {

nlohmann::ordered_json value(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

std::string shown(const std::optional<double>& v) {
  if (!v) return "undefined";
  std::ostringstream o;
  o << std::fixed << std::setprecision(3) << *v;
  return o.str();
}

}  // namespace

nlohmann::ordered_json statistics_json(const SessionStatistics& s) {
  nlohmann::ordered_json j;
  j["items"] = s.items;
  j["labeled_items"] = s.labeled_items;
  j["labels"] = s.labels;
  j["annotators"] = s.annotators;
  j["cohen_kappa"] = nlohmann::ordered_json::object();
  j["shared_items"] = nlohmann::ordered_json::object();
  for (const auto& [pair, k] : s.cohen_kappa) j["cohen_kappa"][pair] = value(k);
  for (const auto& [pair, n] : s.shared_items) j["shared_items"][pair] = n;
  j["fleiss_kappa"] = value(s.fleiss_kappa);
  j["fleiss_items"] = s.fleiss_items;
  j["krippendorff_alpha"] = {{"nominal", value(s.alpha_nominal)},
                             {"ordinal", value(s.alpha_ordinal)}};
  j["agreement_with_majority"] = nlohmann::ordered_json::object();
  for (const auto& [who, a] : s.agreement_with_majority)
    j["agreement_with_majority"][who] = value(a);
  j["per_annotator"] = nlohmann::ordered_json::object();
  for (const auto& [who, a] : s.activity)
    j["per_annotator"][who] = {{"labels", a.labels},
                               {"skips", a.skips},
                               {"skip_rate", a.skip_rate},
                               {"median_seconds", value(a.median_seconds)}};
  j["position_bias"] = {{"decisions", s.position_bias.decisions},
                        {"left_share", s.position_bias.left_share},
                        {"ci95", {s.position_bias.lower, s.position_bias.upper}}};
  auto board = nlohmann::ordered_json::array();
  for (const auto& m : s.leaderboard.models)
    board.push_back({{"model", m.model},
                     {"rating", m.rating},
                     {"ci95", {m.lower, m.upper}},
                     {"rank", m.rank},
                     {"wins", m.wins},
                     {"ties", m.ties},
                     {"losses", m.losses}});
  j["leaderboard"] = board;
  j["leaderboard_connected"] = s.leaderboard.connected;
  auto series = [](const std::vector<ProgressPoint>& points) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& p : points) out.push_back({p.time, p.labels});
    return out;
  };
  j["progress_over_time"] = {{"total", series(s.progress_over_time)},
                             {"per_annotator", nlohmann::ordered_json::object()}};
  for (const auto& [who, points] : s.progress_per_annotator)
    j["progress_over_time"]["per_annotator"][who] = series(points);
  return j;
}

std::string statistics_text(const SessionStatistics& s) {
  std::ostringstream o;
  o << "items " << s.items << " (labeled " << s.labeled_items << "), labels " << s.labels
    << ", annotators " << s.annotators << "\n";
  o << "Fleiss' kappa " << shown(s.fleiss_kappa) << " (" << s.fleiss_items
    << " items with a complete set)\n";
  o << "Krippendorff's alpha: nominal " << shown(s.alpha_nominal) << ", ordinal "
    << shown(s.alpha_ordinal) << "\n";
  for (const auto& [pair, k] : s.cohen_kappa)
    o << "Cohen's kappa " << pair << ": " << shown(k) << " on " << s.shared_items.at(pair)
      << " items\n";
  for (const auto& [who, a] : s.activity)
    o << who << ": " << a.labels << " labels, " << a.skips << " skipped (" << shown(a.skip_rate)
      << "), "
      << (a.median_seconds ? "median " + shown(a.median_seconds) + " s per item"
                           : "time per item not measured")
      << "\n";
  for (const auto& [who, a] : s.agreement_with_majority)
    o << "agreement of " << who << " with the others' majority: " << shown(a) << "\n";
  const auto& p = s.position_bias;
  if (p.decisions == 0)
    o << "position bias: no decision with a known side (imported decisions have none)\n";
  else
    o << "left answer chosen " << shown(p.left_share) << " of " << p.decisions << " (95% "
      << shown(p.lower) << "-" << shown(p.upper) << ")\n";
  if (!s.leaderboard.models.empty()) {
    o << "rank  model                 rating   95% interval        W/T/L\n";
    for (const auto& m : s.leaderboard.models)
      o << std::left << std::setw(6) << m.rank << std::setw(22) << m.model << std::right
        << std::fixed << std::setprecision(1) << std::setw(7) << m.rating << "   " << std::setw(7)
        << m.lower << " - " << std::setw(7) << m.upper << "   " << m.wins << "/" << m.ties << "/"
        << m.losses << "\n";
    if (!s.leaderboard.connected)
      o << "the votes do not connect every model: ratings across the parts are not comparable\n";
  }
  return o.str();
}

}  // namespace chosei
