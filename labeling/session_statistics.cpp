#include "labeling/session_statistics.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "labeling/agreement.h"

namespace chosei {

namespace {

int category(LabelChoice c) { return static_cast<int>(c); }  // a 0, b 1, tie 2, both bad 3

// a > tie > b as 1 < 2 < 3 (Krippendorff's ordinal metric needs only the order).
std::optional<int> ordinal(LabelChoice c) {
  switch (c) {
    case LabelChoice::kA:
      return 1;
    case LabelChoice::kTie:
      return 2;
    case LabelChoice::kB:
      return 3;
    case LabelChoice::kBothBad:
      return std::nullopt;
  }
  return std::nullopt;
}

// Wilson (1927) score interval for a binomial share, z = 1.96.
PositionBias position_bias(std::int64_t left, std::int64_t n) {
  PositionBias p;
  p.decisions = n;
  if (n == 0) return p;
  const double z = 1.959963984540054, nn = static_cast<double>(n);
  const double share = static_cast<double>(left) / nn;
  const double centre = (share + z * z / (2 * nn)) / (1 + z * z / nn);
  const double half =
      z * std::sqrt(share * (1 - share) / nn + z * z / (4 * nn * nn)) / (1 + z * z / nn);
  p.left_share = share;
  p.lower = centre - half;
  p.upper = centre + half;
  return p;
}

using ByItem = std::map<std::int64_t, std::map<std::string, LabelChoice>>;

void pairwise_kappa(const ByItem& by_item, const std::set<std::string>& names,
                    SessionStatistics& s) {
  for (auto x = names.begin(); x != names.end(); ++x)
    for (auto y = std::next(x); y != names.end(); ++y) {
      std::vector<int> a, b;
      for (const auto& [item, votes] : by_item) {
        auto i = votes.find(*x), j = votes.find(*y);
        if (i == votes.end() || j == votes.end()) continue;
        a.push_back(category(i->second));
        b.push_back(category(j->second));
      }
      if (a.empty()) continue;
      const std::string key = *x + "|" + *y;
      s.cohen_kappa[key] = cohen_kappa(a, b);
      s.shared_items[key] = static_cast<std::int64_t>(a.size());
    }
}

void agreement_with_majority(const ByItem& by_item, const std::set<std::string>& names,
                             SessionStatistics& s) {
  for (const auto& name : names) {
    std::int64_t agree = 0, n = 0;
    for (const auto& [item, votes] : by_item) {
      auto mine = votes.find(name);
      if (mine == votes.end()) continue;
      std::map<LabelChoice, int> others;
      for (const auto& [who, c] : votes)
        if (who != name) ++others[c];
      if (others.empty()) continue;
      int best = 0, tied = 0;
      LabelChoice majority = LabelChoice::kTie;
      for (const auto& [c, k] : others) {
        if (k > best)
          best = k, majority = c, tied = 1;
        else if (k == best)
          ++tied;
      }
      if (tied > 1) continue;  // no single majority to agree with
      ++n;
      agree += mine->second == majority;
    }
    s.agreement_with_majority[name] =
        n ? std::optional<double>(static_cast<double>(agree) / static_cast<double>(n))
          : std::nullopt;
  }
}

}  // namespace

namespace {

std::map<std::string, AnnotatorActivity> activity_of(
    const std::vector<StandingDecision>& decisions,
    const std::map<std::string, std::int64_t>& skips) {
  std::map<std::string, AnnotatorActivity> out;
  std::map<std::string, std::vector<double>> seconds;
  for (const auto& d : decisions) {
    ++out[d.annotator].labels;
    if (d.seconds) seconds[d.annotator].push_back(*d.seconds);
  }
  for (const auto& [who, n] : skips) out[who].skips = n;
  for (auto& [who, a] : out) {
    a.skip_rate = static_cast<double>(a.skips) / static_cast<double>(a.labels + a.skips);
    auto& v = seconds[who];
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    a.median_seconds = v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  }
  return out;
}

// The cumulative count at each decision's time, thinned to kMaxProgressPoints evenly spaced
// ranks so a long session still charts in a few kilobytes.
std::vector<ProgressPoint> cumulative(std::vector<double> times) {
  std::sort(times.begin(), times.end());
  std::vector<ProgressPoint> out;
  const std::size_t n = times.size();
  const std::size_t step = (n + kMaxProgressPoints - 1) / kMaxProgressPoints;
  for (std::size_t i = 0; i < n; ++i)
    if ((i + 1) % step == 0 || i + 1 == n)
      out.push_back({times[i], static_cast<std::int64_t>(i + 1)});
  return out;
}

void progress_over_time(const std::vector<StandingDecision>& decisions, SessionStatistics& s) {
  std::vector<double> all;
  std::map<std::string, std::vector<double>> each;
  for (const auto& d : decisions) {
    all.push_back(d.created_at);
    each[d.annotator].push_back(d.created_at);
  }
  s.progress_over_time = cumulative(all);
  for (auto& [who, times] : each) s.progress_per_annotator[who] = cumulative(times);
}

}  // namespace

SessionStatistics session_statistics(const std::vector<StandingDecision>& decisions,
                                     std::int64_t items, int overlap,
                                     const std::map<std::string, std::int64_t>& skips,
                                     const RatingOptions& rating) {
  SessionStatistics s;
  s.items = items;
  s.labels = static_cast<std::int64_t>(decisions.size());
  ByItem by_item;
  std::set<std::string> names;
  std::int64_t left = 0, sided = 0;
  for (const auto& d : decisions) {
    by_item[d.item][d.annotator] = d.choice;
    names.insert(d.annotator);
    const bool pick = d.choice == LabelChoice::kA || d.choice == LabelChoice::kB;
    if (pick && d.left_slot) {
      ++sided;
      left += (*d.left_slot == "a") == (d.choice == LabelChoice::kA);
    }
  }
  s.labeled_items = static_cast<std::int64_t>(by_item.size());
  s.annotators = static_cast<std::int64_t>(names.size());
  s.position_bias = position_bias(left, sided);
  s.activity = activity_of(decisions, skips);
  progress_over_time(decisions, s);
  pairwise_kappa(by_item, names, s);
  agreement_with_majority(by_item, names, s);

  std::vector<std::vector<int>> counts, nominal, ordered;
  for (const auto& [item, votes] : by_item) {
    std::vector<int> row(4, 0), units, ranks;
    for (const auto& [who, c] : votes) {
      ++row[static_cast<std::size_t>(category(c))];
      units.push_back(category(c));
      if (auto o = ordinal(c)) ranks.push_back(*o);
    }
    if (static_cast<int>(votes.size()) == overlap && overlap >= 2) counts.push_back(row);
    nominal.push_back(units);
    ordered.push_back(ranks);
  }
  s.fleiss_items = static_cast<std::int64_t>(counts.size());
  if (!counts.empty()) s.fleiss_kappa = fleiss_kappa(counts);
  s.alpha_nominal = krippendorff_alpha(nominal, AlphaMetric::kNominal);
  s.alpha_ordinal = krippendorff_alpha(ordered, AlphaMetric::kOrdinal);

  std::vector<std::string> models;
  std::vector<Battle> battles;
  auto index = [&](const std::string& m) {
    auto it = std::find(models.begin(), models.end(), m);
    if (it != models.end()) return static_cast<std::size_t>(it - models.begin());
    models.push_back(m);
    return models.size() - 1;
  };
  for (const auto& d : decisions) {
    if (d.model_a.empty() || d.model_b.empty() || d.model_a == d.model_b) continue;
    const double outcome = d.choice == LabelChoice::kA   ? 1.0
                           : d.choice == LabelChoice::kB ? 0.0
                                                         : 0.5;
    battles.push_back({index(d.model_a), index(d.model_b), outcome});
  }
  if (models.size() >= 2) s.leaderboard = rate_models(models, battles, rating);
  return s;
}

SessionStatistics session_statistics(LabelStore& store, std::int64_t session) {
  const auto summary = store.session(session);
  return session_statistics(store.standing_decisions(session), summary.items, summary.overlap,
                            store.skips(session));
}

}  // namespace chosei
