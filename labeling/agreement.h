#pragma once
// Chance-corrected agreement between annotators: Cohen's kappa (two annotators, the items
// both labeled), Fleiss' kappa (every item rated by the same number of annotators) and
// Krippendorff's alpha (any number of annotators, missing ratings allowed). Categories are
// small integers; for the weighted and ordinal variants their numeric order is the scale.
// Each returns nullopt where the statistic is undefined (no variation to correct for: the
// chance agreement is 1), never a made-up 0 or 1.

#include <optional>
#include <vector>

namespace chosei {

enum class KappaWeights { kNone, kLinear, kQuadratic };

// Cohen (1960), Educational and Psychological Measurement 20(1): kappa = (p_o - p_e)/(1 - p_e),
// p_e = sum_k (n_k. / N)(n_.k / N); weighted (Cohen 1968): 1 - sum w O / sum w E, E_ij = r_i c_j /
// N, w = |i - j| (linear) or (i - j)^2 (quadratic) over the sorted categories both used. `a` and
// `b` are the two annotators' labels of the same items, in the same order.
std::optional<double> cohen_kappa(const std::vector<int>& a, const std::vector<int>& b,
                                  KappaWeights weights = KappaWeights::kNone);

// Fleiss (1971), Psychological Bulletin 76(5): counts[i][j] = how many of the n raters put item
// i in category j (every row sums to the same n >= 2).
// P_i = (sum_j n_ij^2 - n)/(n(n - 1)), p_j = sum_i n_ij/(N n), kappa = (P - P_e)/(1 - P_e).
// Throws std::invalid_argument when rows differ in their sums or have fewer than 2 ratings.
std::optional<double> fleiss_kappa(const std::vector<std::vector<int>>& counts);

enum class AlphaMetric { kNominal, kOrdinal, kInterval, kRatio };

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", eq. for the coincidence
// matrix o_ck = sum_u pairs_u(c, k)/(m_u - 1) over units with m_u >= 2 values;
// alpha = 1 - D_o/D_e, D_o = sum o_ck d2(c, k)/n, D_e = sum n_c n_k d2(c, k)/(n(n - 1)).
// `units[u]` holds the values the unit received (missing ratings simply absent).
std::optional<double> krippendorff_alpha(const std::vector<std::vector<int>>& units,
                                         AlphaMetric metric);

}  // namespace chosei
