#include "classifier/classifier_runtime.h"

#include <mutex>

#include "classifier/classification_task.h"
#include "classifier/classifier_info.h"
#include "formats/score_model_dir.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

namespace {

class SequenceTextClassifier : public TextClassifier {
 public:
  explicit SequenceTextClassifier(const std::string& dir)
      : model_(load_score_model_dir(dir)), info_(read_classifier_info(dir)) {
    if (model_.head_initialized)
      throw std::invalid_argument(dir + ": a causal LM, not a classifier (no score head)");
    if (static_cast<std::int64_t>(info_.labels.size()) != model_.model->num_labels())
      throw std::runtime_error(dir + ": classifier.json names " +
                               std::to_string(info_.labels.size()) + " labels for " +
                               std::to_string(model_.model->num_labels()) + " head outputs");
    model_.model->eval();
    tmpl_ = std::make_unique<ChatTemplate>(choose_chat_template(model_.tokenizer.config, ""));
    batching_.texts_per_batch = 1;
    batching_.max_seq_len = model_.model->config().max_position_embeddings;
    batching_.packing = false;
    batching_.pad_id = std::max<TokenId>(0, model_.tokenizer.tokenizer->eos_id());
  }

  const std::vector<std::string>& labels() const override { return info_.labels; }

  std::map<std::string, double> thresholds() const override { return info_.thresholds; }

  std::vector<double> probabilities(std::string_view text) const override {
    ClassificationRecord r;
    r.text = std::string(text.empty() ? " " : text);
    return score(r);
  }

  // As a {"messages": [user, assistant]} training row: the answer judged after its prompt.
  std::vector<double> probabilities(std::string_view text,
                                    std::string_view context) const override {
    ClassificationRecord r;
    r.turns = {{"user", std::string(context), {}},
               {"assistant", std::string(text.empty() ? " " : text), {}}};
    return score(r);
  }

 private:
  std::vector<double> score(ClassificationRecord& r) const {
    r.source = "text";
    auto examples = tokenize_classification_records({r}, {}, "", *model_.tokenizer.tokenizer,
                                                    *tmpl_, batching_.max_seq_len);
    std::lock_guard<std::mutex> lock(mutex_);
    auto model = model_.model;
    return classify_examples(model, {examples[0].ids}, info_.problem, batching_)[0];
  }

  LoadedScoreModel model_;
  ClassifierInfo info_;
  std::unique_ptr<ChatTemplate> tmpl_;
  ClassificationBatching batching_;
  mutable std::mutex mutex_;
};

}  // namespace

std::shared_ptr<const TextClassifier> load_sequence_text_classifier(const std::string& dir) {
  return std::make_shared<SequenceTextClassifier>(dir);
}

void install_classifier_runtime() { set_text_classifier_loader(load_sequence_text_classifier); }

}  // namespace chosei
