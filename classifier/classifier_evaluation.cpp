#include "classifier/classifier_evaluation.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "classifier/classification_task.h"
#include "datasets/message_json.h"
#include "datasets/text_lines.h"
#include "formats/score_model_dir.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

using json = nlohmann::json;

CategoryScores category_scores(const ClassifierInfo& info, std::size_t c,
                               const std::vector<std::vector<double>>& probabilities,
                               const std::vector<ClassificationExample>& examples) {
  CategoryScores s;
  const auto head = info.head_index(c);
  for (std::size_t i = 0; i < examples.size(); ++i) {
    s.scores.push_back(probabilities[i][head]);
    const auto& l = examples[i].labels;
    s.positive.push_back(std::find(l.begin(), l.end(), static_cast<std::int64_t>(c)) != l.end());
  }
  return s;
}

std::map<std::string, double> choose_thresholds(
    const ClassifierInfo& info, const std::vector<std::vector<double>>& probabilities,
    const std::vector<ClassificationExample>& examples, double target_fpr) {
  std::map<std::string, double> out;
  const auto cats = info.categories();
  for (std::size_t c = 0; c < cats.size(); ++c) {
    const auto s = category_scores(info, c, probabilities, examples);
    std::vector<double> negatives;
    for (std::size_t i = 0; i < s.scores.size(); ++i)
      if (!s.positive[i]) negatives.push_back(s.scores[i]);
    out[cats[c]] = threshold_for_fpr(negatives, target_fpr);
  }
  return out;
}

std::vector<CategoryMetrics> evaluate_categories(
    const ClassifierInfo& info, const std::vector<std::vector<double>>& probabilities,
    const std::vector<ClassificationExample>& examples) {
  std::vector<CategoryMetrics> out;
  const auto cats = info.categories();
  for (std::size_t c = 0; c < cats.size(); ++c) {
    const auto s = category_scores(info, c, probabilities, examples);
    const double t = info.thresholds.count(cats[c]) ? info.thresholds.at(cats[c]) : 0.5;
    out.push_back(category_metrics(cats[c], s.scores, s.positive, t));
  }
  return out;
}

json category_metrics_json(const std::vector<CategoryMetrics>& metrics) {
  json j = json::object();
  auto num = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
  for (const auto& m : metrics)
    j[m.label] = {{"threshold", m.threshold},
                  {"precision", num(m.precision)},
                  {"recall", num(m.recall)},
                  {"f1", num(m.f1)},
                  {"false_positive_rate", num(m.false_positive_rate)},
                  {"auroc", num(m.auroc)},
                  {"positives", m.positives},
                  {"negatives", m.negatives}};
  return j;
}

std::string category_metrics_text(const std::vector<CategoryMetrics>& metrics) {
  std::ostringstream o;
  o << std::left << std::setw(28) << "category" << std::right << std::setw(6) << "pos"
    << std::setw(7) << "neg" << std::setw(10) << "thresh" << std::setw(8) << "P" << std::setw(8)
    << "R" << std::setw(8) << "F1" << std::setw(8) << "FPR" << std::setw(8) << "AUROC\n";
  o << std::fixed << std::setprecision(3);
  for (const auto& m : metrics)
    o << std::left << std::setw(28) << m.label << std::right << std::setw(6) << m.positives
      << std::setw(7) << m.negatives << std::setw(10) << m.threshold << std::setw(8) << m.precision
      << std::setw(8) << m.recall << std::setw(8) << m.f1 << std::setw(8) << m.false_positive_rate
      << std::setw(8) << m.auroc << "\n";
  return o.str();
}

namespace {

struct LoadedClassifier {
  LoadedScoreModel model;
  ClassifierInfo info;
  ChatTemplate tmpl;
};

LoadedClassifier load_classifier(const std::string& dir, const std::string& template_name) {
  auto m = load_score_model_dir(dir);
  if (m.head_initialized)
    throw std::invalid_argument(dir + ": a causal LM, not a classifier (no score head)");
  auto info = read_classifier_info(dir);
  if (static_cast<std::int64_t>(info.labels.size()) != m.model->num_labels())
    throw std::runtime_error(dir + ": " + std::to_string(info.labels.size()) + " labels but " +
                             std::to_string(m.model->num_labels()) + " head outputs");
  auto tmpl = choose_chat_template(m.tokenizer.config, template_name);
  return {std::move(m), std::move(info), tmpl};
}

ClassificationBatching batching_for(const LoadedClassifier& c, std::int64_t max_seq_len) {
  ClassificationBatching b;
  b.max_seq_len = max_seq_len;
  b.pad_id = std::max<TokenId>(0, c.model.tokenizer.tokenizer->eos_id());
  return b;
}

}  // namespace

json evaluate_classifier(const ClassifierEvalOptions& opt) {
  auto c = load_classifier(opt.model, opt.chat_template);
  auto data = read_classification_dataset(opt.data);
  std::int64_t truncated = 0;
  auto examples = tokenize_classification_records(
      data.records, c.info.categories(), c.info.negative_label, *c.model.tokenizer.tokenizer,
      c.tmpl, opt.max_seq_len, &truncated);
  std::vector<PromptAnswerIds> ids;
  for (const auto& e : examples) ids.push_back(e.ids);
  auto probs =
      classify_examples(c.model.model, ids, c.info.problem, batching_for(c, opt.max_seq_len));
  json out = {{"model", opt.model},
              {"data", opt.data},
              {"examples", examples.size()},
              {"truncated", truncated},
              {"categories", category_metrics_json(evaluate_categories(c.info, probs, examples))}};
  std::size_t any_positive = 0, any_flagged = 0, flagged_negative = 0, negatives = 0;
  const auto cats = c.info.categories();
  for (std::size_t i = 0; i < examples.size(); ++i) {
    bool flagged = false;
    for (std::size_t k = 0; k < cats.size(); ++k) {
      const double t = c.info.thresholds.count(cats[k]) ? c.info.thresholds.at(cats[k]) : 0.5;
      flagged = flagged || probs[i][c.info.head_index(k)] >= t;
    }
    const bool positive = !examples[i].labels.empty();
    any_positive += positive;
    negatives += !positive;
    any_flagged += positive && flagged;
    flagged_negative += !positive && flagged;
  }
  out["any_category"] = {
      {"positives", any_positive},
      {"negatives", negatives},
      {"recall",
       any_positive ? static_cast<double>(any_flagged) / static_cast<double>(any_positive) : 0.0},
      {"false_positive_rate",
       negatives ? static_cast<double>(flagged_negative) / static_cast<double>(negatives) : 0.0}};
  if (opt.target_fpr >= 0)
    out["thresholds_for_target_fpr"] = choose_thresholds(c.info, probs, examples, opt.target_fpr);
  return out;
}

std::size_t score_classifier_jsonl(const ClassifierScoreOptions& opt, std::ostream& out) {
  auto c = load_classifier(opt.model, opt.chat_template);
  const auto limit = c.model.model->config().max_position_embeddings;
  std::vector<ClassificationRecord> records;
  for (const auto& l : read_nonblank_lines(opt.jsonl)) {
    const std::string where = opt.jsonl + ":" + std::to_string(l.number);
    auto j = json::parse(l.text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error(where + ": not a JSON object");
    ClassificationRecord r;
    r.source = opt.jsonl;
    r.line = l.number;
    try {
      if (j.contains("messages"))
        r.turns = message_list(j["messages"], "messages");
      else
        r.text = string_field(j, "text", true);
    } catch (const RecordError& e) {
      throw std::runtime_error(where + ": " + e.message + " (" + e.kind + ")");
    }
    records.push_back(std::move(r));
  }
  auto examples =
      tokenize_classification_records(records, c.info.categories(), c.info.negative_label,
                                      *c.model.tokenizer.tokenizer, c.tmpl, limit);
  std::vector<PromptAnswerIds> ids;
  for (const auto& e : examples) ids.push_back(e.ids);
  auto probs = classify_examples(c.model.model, ids, c.info.problem, batching_for(c, limit));
  for (std::size_t i = 0; i < probs.size(); ++i) {
    const auto& p = probs[i];
    json scores = json::object(), flagged = json::array();
    for (std::size_t h = 0; h < c.info.labels.size(); ++h) scores[c.info.labels[h]] = p[h];
    const auto cats = c.info.categories();
    for (std::size_t k = 0; k < cats.size(); ++k) {
      const double t = c.info.thresholds.count(cats[k]) ? c.info.thresholds.at(cats[k]) : 0.5;
      if (p[c.info.head_index(k)] >= t) flagged.push_back(cats[k]);
    }
    json line = {{"scores", scores}, {"flagged", flagged}};
    if (opt.ids) line["ids"] = examples[i].ids.ids;
    out << line.dump() << "\n";
  }
  return probs.size();
}

}  // namespace chosei
