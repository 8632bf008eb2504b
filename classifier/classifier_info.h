#pragma once
// What a classifier directory says about its head, beside the HF files: classifier.json
//   {"labels": [...head order...], "negative_label": "safe",
//    "problem_type": "multi_label_classification", "thresholds": {"violence": 0.41, ...},
//    "target_fpr": 0.05, "threshold_source": "...", "eval": {...per-category metrics...}}
// config.json carries id2label, label2id and problem_type as transformers reads them.
// For single_label_classification the negative label is a class of its own (index 0);
// for multi_label_classification it is the absence of every category.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "classifier/classification_loss.h"

namespace chosei {

struct ClassifierInfo {
  std::vector<std::string> labels;  // in head order
  std::string negative_label = "safe";
  ClassificationProblem problem = ClassificationProblem::kMultiLabel;
  std::map<std::string, double> thresholds;
  double target_fpr = -1;
  std::string threshold_source;
  nlohmann::json eval = nlohmann::json::object();

  // The categories a text can be flagged for (the head's labels, the negative class left out).
  std::vector<std::string> categories() const;
  // Head index of category `c` of categories().
  std::size_t head_index(std::size_t c) const;
};

bool has_classifier_info(const std::string& dir);
// classifier.json; without it, labels from config.json's id2label (a classifier trained
// elsewhere). Throws std::runtime_error naming the file and field.
ClassifierInfo read_classifier_info(const std::string& dir);
void write_classifier_info(const std::string& dir, const ClassifierInfo& info);
// id2label, label2id and problem_type for config.json.
nlohmann::json classifier_config_fields(const ClassifierInfo& info);

}  // namespace chosei
