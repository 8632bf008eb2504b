#pragma once
// A classifier measured on labeled texts: per category precision, recall, F1 and the
// false-positive rate at its threshold, AUROC, support; thresholds chosen for a target
// false-positive rate. `chosei classifier eval` and the end of `classifier train` use it;
// `chosei classifier score` applies a model to unlabeled texts.

#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "classifier/classification_metrics.h"
#include "classifier/classifier_info.h"
#include "datasets/classification_data.h"

namespace chosei {

// Category c of info.categories(): its head probabilities and which examples carry it.
struct CategoryScores {
  std::vector<double> scores;
  std::vector<bool> positive;
};
CategoryScores category_scores(const ClassifierInfo& info, std::size_t category,
                               const std::vector<std::vector<double>>& probabilities,
                               const std::vector<ClassificationExample>& examples);

std::map<std::string, double> choose_thresholds(
    const ClassifierInfo& info, const std::vector<std::vector<double>>& probabilities,
    const std::vector<ClassificationExample>& examples, double target_fpr);

// Metrics of every category at info.thresholds (0.5 where absent).
std::vector<CategoryMetrics> evaluate_categories(
    const ClassifierInfo& info, const std::vector<std::vector<double>>& probabilities,
    const std::vector<ClassificationExample>& examples);

nlohmann::json category_metrics_json(const std::vector<CategoryMetrics>& metrics);
std::string category_metrics_text(const std::vector<CategoryMetrics>& metrics);

struct ClassifierEvalOptions {
  std::string model, data, chat_template;
  std::int64_t max_seq_len = 512;
  double target_fpr = -1;  // >= 0: also report the thresholds this rate would choose
};
// Loads the model and the labeled file, and measures.
nlohmann::json evaluate_classifier(const ClassifierEvalOptions& options);

struct ClassifierScoreOptions {
  std::string model, jsonl, chat_template;
  bool ids = false;  // also print the token ids scored
};
// One JSON line per input line: {"scores": {label: p}, "flagged": [labels at threshold]}.
std::size_t score_classifier_jsonl(const ClassifierScoreOptions& options, std::ostream& out);

}  // namespace chosei
