#include "finetune/job_events.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace chosei {

std::vector<std::string> LineTail::new_lines() {
  std::vector<std::string> out;
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return out;
  // A resumed run rewrites its log (atomic rename) before appending: read a new file from
  // its start, even when it has already grown past the old offset (the old offset would
  // land mid-line and lose that line).
  if (static_cast<std::uint64_t>(st.st_ino) != inode_ ||
      static_cast<std::uint64_t>(st.st_size) < offset_)
    offset_ = 0;
  inode_ = static_cast<std::uint64_t>(st.st_ino);
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: the writer is mid-line
    offset_ += line.size() + 1;
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

json api_metrics(const json& line) {
  json m = {{"step", line.value("step", std::int64_t{0})}};
  static const std::map<std::string, std::string> renamed = {
      {"loss", "train_loss"},         {"mean_token_accuracy", "train_mean_token_accuracy"},
      {"eval_loss", "valid_loss"},    {"eval_mean_token_accuracy", "valid_mean_token_accuracy"},
      {"total_steps", "total_steps"}, {"tokens", "trained_tokens"}};
  static const char* dropped[] = {"step",          "lr",       "epoch", "elapsed_s", "tokens_per_s",
                                  "samples_per_s", "grad_norm"};
  for (const auto& [k, v] : line.items()) {
    if (std::find(std::begin(dropped), std::end(dropped), k) != std::end(dropped)) continue;
    const auto it = renamed.find(k);
    m[it == renamed.end() ? k : it->second] = v;
  }
  if (line.contains("lr")) m["learning_rate"] = line["lr"];
  return m;
}

json metrics_at_step(const std::string& path, std::int64_t step) {
  json merged = {{"step", step}};
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("step", std::int64_t{-1}) == step) merged.update(api_metrics(j));
  }
  return merged;
}

std::string metrics_message(const json& m) {
  char buf[256];
  std::string s = "Step " + std::to_string(m.value("step", std::int64_t{0}));
  if (m.contains("total_steps")) s += "/" + std::to_string(m["total_steps"].get<std::int64_t>());
  s += ":";
  const std::pair<const char*, const char*> shown[] = {
      {"train_loss", "training loss"},
      {"train_mean_token_accuracy", "token accuracy"},
      {"valid_loss", "validation loss"},
      {"valid_mean_token_accuracy", "validation token accuracy"}};
  const char* sep = " ";
  for (const auto& [key, name] : shown)
    if (m.contains(key) && m[key].is_number()) {
      std::snprintf(buf, sizeof buf, "%s%s=%.4f", sep, name, m[key].get<double>());
      s += buf;
      sep = ", ";
    }
  return s;
}

std::string step_metrics_csv(const std::string& path) {
  std::map<std::int64_t, json> by_step;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    by_step[j.value("step", std::int64_t{0})].update(api_metrics(j));
  }
  std::ostringstream csv;
  csv << "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n";
  auto cell = [](const json& m, const char* key) {
    if (!m.contains(key) || !m[key].is_number()) return std::string();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", m[key].get<double>());
    return std::string(buf);
  };
  for (const auto& [step, m] : by_step)
    csv << step << "," << cell(m, "train_loss") << "," << cell(m, "train_mean_token_accuracy")
        << "," << cell(m, "valid_loss") << "," << cell(m, "valid_mean_token_accuracy") << "\n";
  return csv.str();
}

std::vector<std::int64_t> checkpoint_steps(const std::string& run_dir) {
  std::vector<std::int64_t> steps;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(run_dir) / "checkpoints", ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind("step-", 0) != 0 || name.find('.') != std::string::npos) continue;
    try {
      steps.push_back(std::stoll(name.substr(5)));
    } catch (const std::exception&) {
    }
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

}  // namespace chosei
