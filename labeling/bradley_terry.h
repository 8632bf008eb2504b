#pragma once
// Ratings of models from pairwise human votes, as Chatbot Arena computes them
// (FastChat fastchat/serve/monitor/rating_systems.py): Bradley-Terry by maximum likelihood,
// P(a beats b) = sigmoid(ln 10 * (beta_a - beta_b)), rating = 400 * beta + 1000, a tie (and
// "both bad") counting half a win for each side, and bootstrap 95% intervals over the votes.
// Unlike Arena's fit, a prior of virtual ties against a 1000-rated anchor keeps an unbeaten
// model's rating finite (Arena's has none, so it runs off to infinity).

#include <cstdint>
#include <string>
#include <vector>

namespace chosei {

struct Battle {
  std::size_t a = 0, b = 0;  // model indices
  double outcome = 0.5;      // for a: 1 win, 0 loss, 0.5 tie or both bad
};

struct RatingOptions {
  double prior_ties = 1.0;  // virtual ties of each model against the anchor; 0: plain MLE
  int bootstrap_rounds = 100;
  std::uint64_t seed = 0;
};

struct ModelRating {
  std::string model;
  double rating = 1000, lower = 1000, upper = 1000;  // the fit and its 95% bootstrap interval
  int rank = 1;  // 1 + models whose lower bound is above this one's upper bound
  std::int64_t wins = 0, ties = 0, losses = 0;
};

struct Leaderboard {
  std::vector<ModelRating> models;  // best first
  bool connected = true;            // every model reachable from every other through votes
};

// The ratings that maximize the likelihood of `battles` (plus the prior). With prior_ties = 0
// the ratings are centered on 1000 (the likelihood fixes only their differences).
std::vector<double> bradley_terry_ratings(std::size_t models, const std::vector<Battle>& battles,
                                          double prior_ties);

Leaderboard rate_models(const std::vector<std::string>& models, const std::vector<Battle>& battles,
                        const RatingOptions& options = {});

}  // namespace chosei
