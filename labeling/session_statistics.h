#pragma once
// What a labeling session's standing decisions say: how many, how much the annotators agree
// (computed on the answers' identities, never on the sides they were shown on), whether the
// left side wins more than it should, and how the models that wrote the answers rank.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "labeling/bradley_terry.h"
#include "labeling/label_store.h"

namespace chosei {

struct PositionBias {
  std::int64_t decisions = 0;   // a or b chosen, with the side known (ties, imports left out)
  double left_share = 0.5;      // the share that chose the answer shown on the left
  double lower = 0, upper = 1;  // Wilson score 95% interval
};

struct AnnotatorActivity {
  std::int64_t labels = 0, skips = 0;
  double skip_rate = 0;                  // skips / (labels + skips)
  std::optional<double> median_seconds;  // time per item, where the page measured it
};

// Standing decisions counted up over time: (unix seconds, decisions so far) at most
// kMaxProgressPoints per series, the last point always the latest decision.
struct ProgressPoint {
  double time = 0;
  std::int64_t labels = 0;
};
constexpr std::size_t kMaxProgressPoints = 120;

struct SessionStatistics {
  std::int64_t items = 0, labeled_items = 0, labels = 0, annotators = 0;
  // "x|y" (names sorted) -> Cohen's kappa over the items both labeled (nominal, 4 choices)
  std::map<std::string, std::optional<double>> cohen_kappa;
  std::map<std::string, std::int64_t> shared_items;  // same keys: how many items it rests on
  std::optional<double> fleiss_kappa;                // items with exactly `overlap` decisions
  std::int64_t fleiss_items = 0;
  std::optional<double> alpha_nominal;  // Krippendorff over a, b, tie, both bad
  std::optional<double> alpha_ordinal;  // a > tie > b; both bad left out
  // annotator -> share of their decisions equal to the other annotators' unique majority
  std::map<std::string, std::optional<double>> agreement_with_majority;
  std::map<std::string, AnnotatorActivity> activity;  // per annotator
  PositionBias position_bias;
  Leaderboard leaderboard;  // models of generated answers (empty for imported pairs)
  std::vector<ProgressPoint> progress_over_time;
  std::map<std::string, std::vector<ProgressPoint>> progress_per_annotator;
};

// The statistics of a stored session (its standing decisions, items, overlap and skips).
SessionStatistics session_statistics(LabelStore& store, std::int64_t session);

// `skips`: annotator -> items skipped (LabelStore::skips).
SessionStatistics session_statistics(const std::vector<StandingDecision>& decisions,
                                     std::int64_t items, int overlap,
                                     const std::map<std::string, std::int64_t>& skips = {},
                                     const RatingOptions& rating = {});

}  // namespace chosei
