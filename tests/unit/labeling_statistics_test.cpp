// Agreement statistics and Bradley-Terry ratings against the published test vectors
// (../shared/reference/labeling.md) and values computed by hand; the random-set comparison
// with sklearn, statsmodels and nltk is tests/reference/agreement_reference.py.
#include <gtest/gtest.h>

#include <cmath>

#include "labeling/agreement.h"
#include "labeling/bradley_terry.h"
#include "labeling/session_statistics.h"

namespace chosei {
namespace {

TEST(CohenKappa, PublishedTwoByTwoVector) {
  // 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> p_o 0.70, p_e 0.50, kappa 0.40.
  std::vector<int> a, b;
  auto add = [&](int x, int y, int n) {
    for (int i = 0; i < n; ++i) a.push_back(x), b.push_back(y);
  };
  add(1, 1, 20), add(1, 0, 5), add(0, 1, 10), add(0, 0, 15);
  EXPECT_NEAR(*cohen_kappa(a, b), 0.40, 1e-12);
}

TEST(CohenKappa, WeightedByHand) {
  // O: (0,0) (1,2) (2,2); rows 1 1 1, columns 1 0 2, N = 3.
  // Linear: sum wO / N = 1/3, sum wE = 9/9 -> 2/3. Quadratic: 1/3 against 15/9 -> 0.8.
  const std::vector<int> a = {0, 1, 2}, b = {0, 2, 2};
  EXPECT_NEAR(*cohen_kappa(a, b, KappaWeights::kLinear), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(*cohen_kappa(a, b, KappaWeights::kQuadratic), 0.8, 1e-12);
}

TEST(CohenKappa, UndefinedWithoutVariationAndMismatchedLengthsThrow) {
  EXPECT_FALSE(cohen_kappa({2, 2, 2}, {2, 2, 2}).has_value());
  EXPECT_FALSE(cohen_kappa({}, {}).has_value());
  EXPECT_THROW(cohen_kappa({1, 2}, {1}), std::invalid_argument);
}

TEST(FleissKappa, PublishedFourteenRaterVector) {
  const std::vector<std::vector<int>> counts = {
      {0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
      {7, 7, 0, 0, 0},  {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7}};
  EXPECT_NEAR(*fleiss_kappa(counts), 0.2099, 5e-5);
}

TEST(FleissKappa, RowsWithDifferentRaterCountsAreRefused) {
  EXPECT_THROW(fleiss_kappa({{1, 1}, {2, 1}}), std::invalid_argument);
  EXPECT_THROW(fleiss_kappa({{1, 0}, {1, 0}}), std::invalid_argument);  // one rating each
  EXPECT_FALSE(fleiss_kappa({{3, 0}, {3, 0}}).has_value());
}

// Krippendorff (2011): 4 raters x 12 items, 0 = missing.
std::vector<std::vector<int>> krippendorff_units() {
  const int table[4][12] = {{1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0},
                            {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3},
                            {0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0},
                            {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0}};
  std::vector<std::vector<int>> units(12);
  for (const auto& rater : table)
    for (int u = 0; u < 12; ++u)
      if (rater[u]) units[u].push_back(rater[u]);
  return units;
}

TEST(KrippendorffAlpha, PublishedVectorForEveryMetric) {
  const auto units = krippendorff_units();
  EXPECT_NEAR(*krippendorff_alpha(units, AlphaMetric::kNominal), 0.7434, 5e-5);
  EXPECT_NEAR(*krippendorff_alpha(units, AlphaMetric::kOrdinal), 0.8154, 5e-5);
  EXPECT_NEAR(*krippendorff_alpha(units, AlphaMetric::kInterval), 0.8491, 5e-5);
  EXPECT_NEAR(*krippendorff_alpha(units, AlphaMetric::kRatio), 0.7974, 5e-5);
}

TEST(KrippendorffAlpha, OneValueThroughoutIsUndefinedAndLoneRatingsCountForNothing) {
  EXPECT_FALSE(krippendorff_alpha({{1, 1}, {1, 1, 1}}, AlphaMetric::kNominal).has_value());
  auto units = krippendorff_units();
  const double before = *krippendorff_alpha(units, AlphaMetric::kNominal);
  units.push_back({5});  // a unit only one annotator rated pairs with nothing
  EXPECT_DOUBLE_EQ(*krippendorff_alpha(units, AlphaMetric::kNominal), before);
}

TEST(BradleyTerry, PublishedTwoModelVector) {
  // A beats B in 3 of 4: R_A - R_B = 400 log10(3) = 190.85 (plain MLE, no prior).
  const std::vector<Battle> battles = {{0, 1, 1}, {0, 1, 1}, {0, 1, 1}, {0, 1, 0}};
  const auto r = bradley_terry_ratings(2, battles, 0.0);
  EXPECT_NEAR(r[0] - r[1], 400 * std::log10(3.0), 1e-6);
  EXPECT_NEAR(r[0] + r[1], 2000, 1e-6);
}

TEST(BradleyTerry, TiesCountHalfAndThePriorKeepsAnUnbeatenModelFinite) {
  const auto even = bradley_terry_ratings(2, {{0, 1, 0.5}, {1, 0, 0.5}}, 0.0);
  EXPECT_NEAR(even[0], even[1], 1e-9);
  const std::vector<Battle> unbeaten = {{0, 1, 1}, {0, 1, 1}, {1, 2, 1}, {2, 1, 0.5}};
  const auto r = bradley_terry_ratings(3, unbeaten, 1.0);
  for (double x : r) EXPECT_TRUE(std::isfinite(x)) << x;
  EXPECT_GT(r[0], r[1]);
  EXPECT_GT(r[1], r[2]);
}

TEST(BradleyTerry, LeaderboardHasIntervalsCountsRanksAndConnectivity) {
  std::vector<Battle> battles;
  for (int i = 0; i < 30; ++i) battles.push_back({0, 1, i % 5 == 0 ? 0.0 : 1.0});  // 24-6
  for (int i = 0; i < 30; ++i) battles.push_back({1, 2, i % 2 == 0 ? 0.5 : 1.0});  // 15-0, 15 ties
  const auto board = rate_models({"big", "mid", "small"}, battles);
  ASSERT_EQ(board.models.size(), 3u);
  EXPECT_TRUE(board.connected);
  EXPECT_EQ(board.models[0].model, "big");
  EXPECT_EQ(board.models[0].wins, 24);
  EXPECT_EQ(board.models[0].losses, 6);
  EXPECT_EQ(board.models[1].ties, 15);
  for (const auto& m : board.models) {
    EXPECT_LE(m.lower, m.rating + 1e-9) << m.model;
    EXPECT_GE(m.upper, m.rating - 1e-9) << m.model;
  }
  EXPECT_EQ(board.models[0].rank, 1);
  EXPECT_EQ(board.models[2].rank, 3);  // 45 votes separate each neighbour's interval here
  const auto split = rate_models({"a", "b", "c", "d"}, {{0, 1, 1}, {2, 3, 1}});
  EXPECT_FALSE(split.connected);
}

TEST(SessionProgress, CountsUpInTimeOrderThinnedWithTheLatestDecisionKept) {
  std::vector<StandingDecision> decisions;
  for (int i = 0; i < 301; ++i) {
    StandingDecision d;
    d.item = i;
    d.annotator = i % 3 == 0 ? "ana" : "ben";
    d.created_at = 1000.0 + (300 - i);  // stored out of time order
    decisions.push_back(d);
  }
  const auto s = session_statistics(decisions, 301, 1);
  const auto& total = s.progress_over_time;
  ASSERT_LE(total.size(), kMaxProgressPoints);
  EXPECT_GE(total.size(), kMaxProgressPoints / 2);
  EXPECT_EQ(total.back().labels, 301);
  EXPECT_DOUBLE_EQ(total.back().time, 1300.0);
  for (std::size_t i = 1; i < total.size(); ++i) {
    EXPECT_GT(total[i].labels, total[i - 1].labels);
    EXPECT_GE(total[i].time, total[i - 1].time);
  }
  // Point k has count c and time 1000 + c - 1: the c-th decision in time order.
  for (const auto& p : total) EXPECT_DOUBLE_EQ(p.time, 1000.0 + static_cast<double>(p.labels - 1));
  EXPECT_EQ(s.progress_per_annotator.at("ana").back().labels, 101);
  EXPECT_EQ(s.progress_per_annotator.at("ben").back().labels, 200);
  EXPECT_EQ(s.progress_per_annotator.at("ben").size(), 100u);  // 200 thinned to every 2nd
}

}  // namespace
}  // namespace chosei
