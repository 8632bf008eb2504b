#include <sstream>

#include "base/html_text.h"
#include "reward/reward_evaluation.h"

namespace chosei {

namespace {

// Accuracy against confidence per bin, bars over the diagonal of perfect calibration.
std::string reliability_svg(const std::vector<CalibrationBin>& bins) {
  const double W = 360, H = 360, pad = 40;
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W + 2 * pad << "\" height=\""
    << H + 2 * pad << "\" role=\"img\" aria-label=\"reliability diagram\">"
    << "<rect x=\"" << pad << "\" y=\"" << pad << "\" width=\"" << W << "\" height=\"" << H
    << "\" fill=\"none\" stroke=\"#999\"/>"
    << "<line x1=\"" << pad << "\" y1=\"" << pad + H << "\" x2=\"" << pad + W << "\" y2=\"" << pad
    << "\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>";
  for (const auto& b : bins) {
    if (b.count == 0) continue;
    const double x = pad + b.lo * W, w = (b.hi - b.lo) * W, h = b.accuracy * H;
    o << "<rect x=\"" << x + 1 << "\" y=\"" << pad + H - h << "\" width=\"" << w - 2
      << "\" height=\"" << h << "\" fill=\"#4a7bd0\" opacity=\"0.8\"><title>" << b.lo << "-" << b.hi
      << ": " << b.count << " predictions, confidence " << b.confidence << ", accuracy "
      << b.accuracy << "</title></rect>";
  }
  o << "<text x=\"" << pad + W / 2 << "\" y=\"" << H + 2 * pad - 8
    << "\" text-anchor=\"middle\" font-size=\"12\">predicted P(answer preferred)</text>"
    << "<text x=\"12\" y=\"" << pad + H / 2 << "\" font-size=\"12\" transform=\"rotate(-90 12 "
    << pad + H / 2 << ")\" text-anchor=\"middle\">observed frequency</text></svg>";
  return o.str();
}

}  // namespace

std::string reward_eval_html(const RewardEvalResult& r, const std::string& title) {
  std::ostringstream o;
  o << "<!doctype html><html><head><meta charset=\"utf-8\"><title>" << html_escape(title)
    << "</title><style>body{font-family:sans-serif;max-width:900px;margin:2em auto}"
       "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;"
       "text-align:left}</style></head><body><h1>Reward model evaluation</h1><p>"
    << html_escape(title) << "</p><table>"
    << "<tr><th>pairs</th><td>" << r.pairs << "</td></tr>"
    << "<tr><th>accuracy</th><td>" << r.accuracy << " (95% CI " << r.ci_low << " – " << r.ci_high
    << ")</td></tr><tr><th>mean margin</th><td>" << r.mean_margin << "</td></tr>"
    << "<tr><th>ECE (10 bins)</th><td>" << r.ece << "</td></tr>"
    << "<tr><th>shorter answer wins</th><td>" << r.shorter_wins << "</td></tr>"
    << "<tr><th>longer answer wins</th><td>" << r.longer_wins << "</td></tr>";
  if (r.baseline_accuracy)
    o << "<tr><th>baseline model</th><td>" << *r.baseline_accuracy << "</td></tr>";
  o << "</table><h2>Reliability diagram</h2>" << reliability_svg(r.calibration)
    << "<h2>Accuracy by answer length</h2><table><tr><th>mean answer tokens</th><th>pairs</th>"
       "<th>accuracy</th></tr>";
  for (const auto& b : r.by_length)
    o << "<tr><td>" << b.min_tokens << "–" << b.max_tokens << "</td><td>" << b.pairs << "</td><td>"
      << b.accuracy << "</td></tr>";
  o << "</table></body></html>\n";
  return o.str();
}

}  // namespace chosei
