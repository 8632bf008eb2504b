#include "train/run_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/atomic_file.h"
#include "base/html_text.h"

namespace chosei {

using nlohmann::json;
using Series = std::vector<std::pair<double, double>>;

namespace {

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// One chart: each series a polyline, axes labeled with min/max.
std::string svg_chart(const std::string& title,
                      const std::vector<std::pair<std::string, Series>>& series) {
  const double W = 520, H = 220, L = 60, R = 10, T = 24, B = 30;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& [name, s] : series)
    for (auto [x, y] : s)
      if (std::isfinite(y))
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  std::ostringstream o;
  o << "<figure><svg width=\"" << W << "\" height=\"" << H << "\" role=\"img\" aria-label=\""
    << html_escape(title) << "\"><text x=\"" << L << "\" y=\"16\" font-weight=\"bold\">"
    << html_escape(title) << "</text>";
  if (x0 > x1) return o.str() + "<text x=\"60\" y=\"100\">no data</text></svg></figure>";
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return T + (1 - (y - y0) / (y1 - y0)) * (H - T - B); };
  o << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\""
    << H - T - B << "\" fill=\"none\" stroke=\"#ccc\"/>";
  o << "<text x=\"4\" y=\"" << T + 10 << "\" font-size=\"11\">" << fmt(y1)
    << "</text><text x=\"4\" y=\"" << H - B << "\" font-size=\"11\">" << fmt(y0)
    << "</text><text x=\"" << L << "\" y=\"" << H - 10 << "\" font-size=\"11\">step " << fmt(x0)
    << "</text><text x=\"" << W - 70 << "\" y=\"" << H - 10 << "\" font-size=\"11\">step "
    << fmt(x1) << "</text>";
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  for (std::size_t i = 0; i < series.size(); ++i) {
    o << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << colors[i % 4] << "\" points=\"";
    for (auto [x, y] : series[i].second)
      if (std::isfinite(y)) o << px(x) << "," << py(y) << " ";
    o << "\"/><text x=\"" << W - 160 << "\" y=\"" << T + 16 + 14 * i
      << "\" font-size=\"12\" fill=\"" << colors[i % 4] << "\">" << html_escape(series[i].first)
      << "</text>";
  }
  return o.str() + "</svg></figure>";
}

}  // namespace

bool overfitting(const Series& evals, const Series& train) {
  if (evals.size() < 3 || train.size() < 2) return false;
  const auto n = evals.size();
  const bool eval_rising =
      evals[n - 1].second > evals[n - 2].second && evals[n - 2].second > evals[n - 3].second;
  // Training loss over the same span: mean of the points after evals[n-3] vs before.
  double before = 0, after = 0;
  int nb = 0, na = 0;
  for (auto [step, loss] : train) {
    if (step <= evals[n - 3].first)
      before += loss, ++nb;
    else if (step <= evals[n - 1].first)
      after += loss, ++na;
  }
  return eval_rising && nb && na && after / na < before / nb;
}

bool falling_steadily(const Series& s) {
  if (s.size() < 6) return false;
  const std::size_t third = s.size() / 3;
  double first = 0, last = 0;
  std::size_t falls = 0;
  for (std::size_t i = 0; i < third; ++i) first += s[i].second, last += s[s.size() - 1 - i].second;
  for (std::size_t i = 1; i < s.size(); ++i) falls += s[i].second < s[i - 1].second;
  first /= static_cast<double>(third), last /= static_cast<double>(third);
  return last < first - std::max(1.0, 0.05 * std::abs(first)) &&
         static_cast<double>(falls) >= 0.6 * static_cast<double>(s.size() - 1);
}

std::vector<std::string> write_run_report(const std::string& out_dir, const RunReportInput& in) {
  Series train, evals, lr, grad;
  // A task's own metrics (a reward model's accuracy, DPO's rewards/margins) and the loop's
  // throughput and memory (tokens_per_s, peak_rss_mb) get a chart each: training values and,
  // under "eval_" + name, validation values.
  std::map<std::string, std::pair<Series, Series>> task_metrics;
  static const std::set<std::string> kLoopKeys = {"step", "epoch",     "loss",
                                                  "lr",   "grad_norm", "elapsed_s"};
  std::ifstream metrics((std::filesystem::path(out_dir) / "metrics.jsonl").string());
  std::string line;
  while (std::getline(metrics, line)) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("step")) continue;
    const double step = j["step"].get<double>();
    if (j.contains("eval_loss")) evals.emplace_back(step, j["eval_loss"].get<double>());
    if (j.contains("loss")) train.emplace_back(step, j["loss"].get<double>());
    if (j.contains("lr")) lr.emplace_back(step, j["lr"].get<double>());
    if (j.contains("grad_norm")) grad.emplace_back(step, j["grad_norm"].get<double>());
    for (const auto& [key, value] : j.items()) {
      if (!value.is_number() || kLoopKeys.count(key) || key == "eval_loss") continue;
      if (key.rfind("eval_", 0) == 0)
        task_metrics[key.substr(5)].second.emplace_back(step, value.get<double>());
      else
        task_metrics[key].first.emplace_back(step, value.get<double>());
    }
  }
  std::vector<std::string> warnings;
  if (overfitting(evals, train))
    warnings.push_back(
        "validation loss rose at the last two evaluations while training loss fell: the model may "
        "be "
        "overfitting (fewer epochs, more data, early_stopping.patience, or weight decay)");
  const auto chosen = task_metrics.find("logps/chosen");
  if (chosen != task_metrics.end() && falling_steadily(chosen->second.first))
    warnings.push_back(
        "the chosen answers' log-probability (logps/chosen) fell steadily: the policy is "
        "pushing both answers down, the known DPO failure (trl#800); an NLL term on the chosen "
        "answer helps (--set sft_weight=0.1 or more)");
  std::ostringstream o;
  o << "<!doctype html><html><head><meta charset=\"utf-8\"><title>" << html_escape(in.title)
    << "</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em "
       "auto}figure{display:inline-block;"
       "margin:8px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px "
       "8px;text-align:left}"
       ".warn{background:#fff3cd;padding:8px;border:1px solid "
       "#e0c060}pre{white-space:pre-wrap}</style></head><body>";
  o << "<h1>" << html_escape(in.title) << "</h1>";
  for (const auto& w : warnings) o << "<p class=\"warn\">&#9888; " << html_escape(w) << "</p>";
  o << svg_chart("loss", {{"train", train}, {"validation", evals}})
    << svg_chart("learning rate", {{"lr", lr}})
    << svg_chart("gradient norm", {{"grad norm", grad}});
  for (const auto& [name, series] : task_metrics)
    o << svg_chart(name, {{"train", series.first}, {"validation", series.second}});
  if (!in.data_stats.empty()) {
    o << "<h2>Data</h2><table>";
    for (auto& [k, v] : in.data_stats.items())
      o << "<tr><th>" << html_escape(k) << "</th><td>"
        << html_escape(v.is_string() ? v.get<std::string>() : v.dump()) << "</td></tr>";
    o << "</table>";
  }
  if (!in.samples.empty()) {
    o << "<h2>Sample generations</h2><table><tr><th>prompt</th><th>answer</th></tr>";
    for (const auto& [p, a] : in.samples)
      o << "<tr><td><pre>" << html_escape(p) << "</pre></td><td><pre>" << html_escape(a)
        << "</pre></td></tr>";
    o << "</table>";
  }
  o << "</body></html>\n";
  write_file_atomic((std::filesystem::path(out_dir) / "report.html").string(), o.str());
  return warnings;
}

void write_lr_find_report(const std::string& out_dir,
                          const std::vector<std::pair<double, double>>& points,
                          double suggested_lr) {
  Series curve, mark;
  for (auto [lr, loss] : points) curve.emplace_back(std::log10(lr), loss);
  for (auto [lr, loss] : points)
    if (lr == suggested_lr) mark = {{std::log10(lr), loss}, {std::log10(lr) + 1e-9, loss}};
  std::ostringstream o;
  o << "<!doctype html><html><head><meta charset=\"utf-8\"><title>learning-rate range "
       "test</title></head>"
       "<body style=\"font-family:sans-serif\"><h1>Learning-rate range test</h1><p>Suggested "
       "learning rate: <b>"
    << fmt(suggested_lr)
    << "</b> (a tenth of the rate at the smoothed loss's minimum). The x axis is log10(learning "
       "rate).</p>"
    << svg_chart("smoothed loss vs log10(lr)", {{"loss", curve}, {"suggested", mark}}) << "<table>";
  for (auto [lr, loss] : points)
    o << "<tr><td>" << fmt(lr) << "</td><td>" << fmt(loss) << "</td></tr>";
  o << "</table></body></html>\n";
  write_file_atomic((std::filesystem::path(out_dir) / "lr_find.html").string(), o.str());
}

}  // namespace chosei
