#pragma once
// A session's statistics as `chosei label stats` prints them: one JSON object (--json; the
// keys users' scripts read: items, labels, annotators, cohen_kappa, fleiss_kappa,
// krippendorff_alpha, position_bias, leaderboard) or a short text report.

#include <nlohmann/json.hpp>
#include <string>

#include "labeling/session_statistics.h"

namespace chosei {

nlohmann::ordered_json statistics_json(const SessionStatistics& s);
std::string statistics_text(const SessionStatistics& s);

}  // namespace chosei
