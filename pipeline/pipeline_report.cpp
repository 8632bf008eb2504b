#include "pipeline/pipeline_report.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/atomic_file.h"
#include "base/html_text.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace chosei {

namespace {

void flatten(const json& j, const std::string& prefix,
             std::vector<std::pair<std::string, double>>& out) {
  for (const auto& [k, v] : j.items()) {
    const auto key = prefix.empty() ? k : prefix + "/" + k;
    if (v.is_number())
      out.emplace_back(key, v.get<double>());
    else if (v.is_object() && out.size() < 64)
      flatten(v, key, out);
  }
}

// The last line of metrics.jsonl that carries an evaluation: the stage's held-out numbers.
std::vector<std::pair<std::string, double>> last_evaluation(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  json last;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    for (const auto& [k, v] : j.items())
      if (k.rfind("eval_", 0) == 0 && v.is_number()) {
        last = j;
        break;
      }
  }
  std::vector<std::pair<std::string, double>> out;
  if (last.is_null()) return out;
  out.emplace_back("step", last.value("step", 0.0));
  for (const auto& [k, v] : last.items())
    if (k.rfind("eval_", 0) == 0 && v.is_number()) out.emplace_back(k, v.get<double>());
  return out;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string numbers_html(const std::vector<std::pair<std::string, double>>& numbers) {
  std::string s;
  for (const auto& [k, v] : numbers)
    s += "<div><span class=k>" + html_escape(k) + "</span> " + number_text(v) + "</div>";
  return s;
}

// Reports a stage wrote (HTML files in its directory, and one level down) and its log, as
// relative links.
std::string links_html(const std::string& out, const std::string& dir, const std::string& log) {
  std::vector<fs::path> found;
  std::error_code ec;
  auto html_in = [&](const fs::path& d) {
    std::vector<fs::path> files;
    for (const auto& f : fs::directory_iterator(d, ec))
      if (f.is_regular_file() && f.path().extension() == ".html") files.push_back(f.path());
    std::sort(files.begin(), files.end());
    found.insert(found.end(), files.begin(), files.end());
  };
  if (fs::is_directory(dir, ec)) {
    html_in(dir);
    std::vector<fs::path> subdirs;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory() && e.path().filename() != "checkpoints") subdirs.push_back(e.path());
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& d : subdirs) html_in(d);
  }
  if (fs::exists(log)) found.push_back(log);
  std::string s;
  for (const auto& p : found) {
    const auto rel = fs::relative(p, out).generic_string();
    s += "<div><a href=\"" + html_escape(rel) + "\">" + html_escape(rel) + "</a></div>";
  }
  return s;
}

std::string command_text(const std::vector<std::string>& args) {
  std::string s = "chosei";
  for (const auto& a : args)
    s += " " + (a.find_first_of(" \t'\"") == std::string::npos ? a : "'" + a + "'");
  return s;
}

}  // namespace

std::vector<std::pair<std::string, double>> numbers_in(const std::string& path) {
  std::vector<std::pair<std::string, double>> out;
  std::ifstream in(path);
  if (!in) return out;
  std::stringstream all;
  all << in.rdbuf();
  auto j = json::parse(all.str(), nullptr, false);
  if (j.is_discarded()) {  // JSONL: its last object
    std::istringstream lines(all.str());
    std::string line;
    while (std::getline(lines, line)) {
      auto l = json::parse(line, nullptr, false);
      if (l.is_object()) j = l;
    }
  }
  if (j.is_object()) flatten(j, "", out);
  return out;
}

void write_pipeline_report(const PipelineFile& file, const std::vector<StageOutcome>& outcomes) {
  std::ostringstream rows, finals;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    const auto& stage = file.stages[i];
    std::vector<std::pair<std::string, double>> numbers;
    for (const auto& n : stage.numbers) {
      const auto declared = numbers_in(substitute(n, file, i));
      numbers.insert(numbers.end(), declared.begin(), declared.end());
      if (!declared.empty())
        finals << "<div><h3>" << html_escape(stage.name) << ": "
               << html_escape(fs::path(substitute(n, file, i)).filename().string()) << "</h3>"
               << numbers_html(declared) << "</div>";
    }
    const auto evaluation = last_evaluation((fs::path(o.dir) / "metrics.jsonl").string());
    numbers.insert(numbers.end(), evaluation.begin(), evaluation.end());
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", o.seconds);
    rows << "<tr class=\"" << html_escape(o.action) << "\"><td>" << i + 1 << "</td><td><b>"
         << html_escape(o.name) << "</b></td><td><code>" << html_escape(command_text(o.command))
         << "</code></td><td>" << html_escape(o.action)
         << (o.reason.empty() ? "" : "<div class=muted>" + html_escape(o.reason) + "</div>")
         << "</td><td>"
         << (o.action == "ran" || o.action == "failed" ? std::string(seconds)
             : o.action == "skipped" && o.seconds > 0
                 ? "<span class=muted>last " + std::string(seconds) + "</span>"
                 : std::string())
         << "</td><td>" << links_html(file.out, o.dir, stage_log(file, o.name)) << "</td><td>"
         << numbers_html(numbers) << "</td></tr>\n";
  }
  const auto now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  std::ostringstream html;
  html << "<!doctype html><html lang=en><head><meta charset=utf-8><title>pipeline "
       << html_escape(file.name) << "</title><style>"
       << "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}"
       << "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e6eb;"
          "padding:6px;text-align:left;vertical-align:top}code{font-size:12px;word-break:break-all}"
       << ".muted{color:#6b7280;font-size:12px}.k{color:#6b7280}tr.failed{background:#fdecec}"
          "tr.skipped td{color:#4b5563}.finals{display:flex;flex-wrap:wrap;gap:8px 32px}"
       << "</style></head><body><h1>pipeline " << html_escape(file.name) << "</h1><p class=muted>"
       << html_escape(file.path) << " &middot; " << when << "</p>";
  if (!finals.str().empty())
    html << "<h2>Final numbers</h2><div class=finals>" << finals.str() << "</div>";
  html << "<h2>Stages</h2><table><tr><th>#</th><th>stage</th><th>command</th><th>result</th>"
          "<th>time</th><th>reports</th><th>numbers</th></tr>\n"
       << rows.str() << "</table></body></html>\n";
  write_file_atomic((fs::path(file.out) / "report.html").string(), html.str());
}

}  // namespace chosei
