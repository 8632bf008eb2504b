#include "classifier/classifier_info.h"

#include <filesystem>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<std::string> ClassifierInfo::categories() const {
  if (problem == ClassificationProblem::kMultiLabel) return labels;
  return {labels.begin() + (labels.empty() ? 0 : 1), labels.end()};
}

std::size_t ClassifierInfo::head_index(std::size_t c) const {
  return problem == ClassificationProblem::kMultiLabel ? c : c + 1;
}

bool has_classifier_info(const std::string& dir) {
  return fs::exists(fs::path(dir) / "classifier.json");
}

ClassifierInfo read_classifier_info(const std::string& dir) {
  ClassifierInfo info;
  const auto path = (fs::path(dir) / "classifier.json").string();
  if (!fs::exists(path)) {
    const auto config_path = (fs::path(dir) / "config.json").string();
    auto c = json::parse(read_file(config_path), nullptr, false);
    if (c.is_discarded() || !c.contains("id2label") || !c["id2label"].is_object())
      throw std::runtime_error(dir + ": no classifier.json and no id2label in config.json");
    info.labels.resize(c["id2label"].size());
    for (const auto& [k, v] : c["id2label"].items()) {
      const auto i = std::stoul(k);
      if (i >= info.labels.size() || !v.is_string())
        throw std::runtime_error(config_path + ": id2label is not 0..N-1 -> name");
      info.labels[i] = v.get<std::string>();
    }
    if (c.contains("problem_type") && c["problem_type"].is_string())
      info.problem = parse_classification_problem(c["problem_type"].get<std::string>());
    return info;
  }
  auto j = json::parse(read_file(path), nullptr, false);
  auto fail = [&](const std::string& field) -> void {
    throw std::runtime_error(path + ": field \"" + field + "\" is missing or of the wrong type");
  };
  if (j.is_discarded() || !j.is_object()) throw std::runtime_error(path + ": not a JSON object");
  if (!j.contains("labels") || !j["labels"].is_array() || j["labels"].empty()) fail("labels");
  for (const auto& l : j["labels"]) {
    if (!l.is_string()) fail("labels");
    info.labels.push_back(l.get<std::string>());
  }
  if (j.contains("negative_label")) {
    if (!j["negative_label"].is_string()) fail("negative_label");
    info.negative_label = j["negative_label"].get<std::string>();
  }
  if (!j.contains("problem_type") || !j["problem_type"].is_string()) fail("problem_type");
  info.problem = parse_classification_problem(j["problem_type"].get<std::string>());
  if (j.contains("thresholds")) {
    if (!j["thresholds"].is_object()) fail("thresholds");
    for (const auto& [k, v] : j["thresholds"].items()) {
      if (!v.is_number()) fail("thresholds." + k);
      info.thresholds[k] = v.get<double>();
    }
  }
  if (j.contains("target_fpr") && j["target_fpr"].is_number()) info.target_fpr = j["target_fpr"];
  if (j.contains("threshold_source") && j["threshold_source"].is_string())
    info.threshold_source = j["threshold_source"];
  if (j.contains("eval")) info.eval = j["eval"];
  return info;
}

void write_classifier_info(const std::string& dir, const ClassifierInfo& info) {
  json j = {{"labels", info.labels},
            {"negative_label", info.negative_label},
            {"problem_type", to_string(info.problem)},
            {"thresholds", info.thresholds}};
  if (info.target_fpr >= 0) j["target_fpr"] = info.target_fpr;
  if (!info.threshold_source.empty()) j["threshold_source"] = info.threshold_source;
  if (!info.eval.empty()) j["eval"] = info.eval;
  write_file_atomic((fs::path(dir) / "classifier.json").string(), j.dump(2) + "\n");
}

json classifier_config_fields(const ClassifierInfo& info) {
  json id2label = json::object(), label2id = json::object();
  for (std::size_t i = 0; i < info.labels.size(); ++i) {
    id2label[std::to_string(i)] = info.labels[i];
    label2id[info.labels[i]] = i;
  }
  return {
      {"id2label", id2label}, {"label2id", label2id}, {"problem_type", to_string(info.problem)}};
}

}  // namespace chosei
