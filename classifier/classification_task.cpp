#include "classifier/classification_task.h"

#include <numeric>
#include <random>

#include "classifier/classification_metrics.h"
#include "reward/pair_batch.h"
#include "train/epoch_order.h"

namespace chosei {

namespace {

struct ClassificationBatch : TrainingBatch {
  SequenceBatch sequences;
  torch::Tensor targets;
};

std::vector<const PromptAnswerIds*> ids_of(const std::vector<const ClassificationExample*>& ex) {
  std::vector<const PromptAnswerIds*> out;
  for (const auto* e : ex) out.push_back(&e->ids);
  return out;
}

torch::Tensor logits_of(LlamaForSequenceClassification& model, const SequenceBatch& b) {
  ForwardOptions fwd;
  fwd.positions = b.packed.positions;
  fwd.attention_mask = b.packed.attention_mask;
  return model->score_at(model->hidden_states(b.packed.input_ids, fwd), b.rows, b.cols);
}

}  // namespace

torch::Tensor classification_targets(const std::vector<const ClassificationExample*>& examples,
                                     std::int64_t num_head_labels, ClassificationProblem problem) {
  const auto n = static_cast<std::int64_t>(examples.size());
  if (problem == ClassificationProblem::kMultiLabel) {
    auto t = torch::zeros({n, num_head_labels});
    for (std::int64_t i = 0; i < n; ++i)
      for (auto c : examples[static_cast<std::size_t>(i)]->labels) t[i][c] = 1.0f;
    return t;
  }
  auto t = torch::zeros({n}, torch::kLong);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto& labels = examples[static_cast<std::size_t>(i)]->labels;
    if (labels.size() > 1)
      throw std::invalid_argument("single_label classification: an example has " +
                                  std::to_string(labels.size()) + " labels");
    t[i] = labels.empty() ? 0 : labels[0] + 1;
  }
  return t;
}

std::vector<std::vector<double>> classify_examples(LlamaForSequenceClassification& model,
                                                   const std::vector<PromptAnswerIds>& ids,
                                                   ClassificationProblem problem,
                                                   const ClassificationBatching& batching) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::vector<std::vector<double>> out;
  const auto per_batch =
      static_cast<std::size_t>(std::max<std::int64_t>(1, batching.texts_per_batch));
  for (std::size_t start = 0; start < ids.size(); start += per_batch) {
    std::vector<const PromptAnswerIds*> seqs;
    for (auto i = start; i < std::min(ids.size(), start + per_batch); ++i) seqs.push_back(&ids[i]);
    auto b = make_sequence_batch(seqs, batching.packing,
                                 static_cast<std::size_t>(batching.max_seq_len), batching.pad_id);
    auto p =
        classification_probabilities(logits_of(model, b), problem).to(torch::kDouble).contiguous();
    const auto c = p.size(1);
    for (std::int64_t i = 0; i < p.size(0); ++i)
      out.emplace_back(p[i].data_ptr<double>(), p[i].data_ptr<double>() + c);
  }
  model->train(was_training);
  return out;
}

ClassificationTask::ClassificationTask(LlamaForSequenceClassification model,
                                       std::vector<ClassificationExample> train,
                                       std::vector<ClassificationExample> eval,
                                       ClassificationBatching batching,
                                       ClassificationProblem problem)
    : model_(std::move(model)),
      train_(std::move(train)),
      eval_(std::move(eval)),
      batching_(batching),
      problem_(problem) {
  if (train_.empty()) throw std::invalid_argument("no training texts");
}

TrainingBatches ClassificationTask::train_batches(std::int64_t epoch, std::uint64_t seed) {
  const auto order = epoch_order(train_.size(), seed, epoch);
  TrainingBatches out;
  const auto step = static_cast<std::size_t>(batching_.texts_per_batch);
  for (std::size_t start = 0; start < order.size(); start += step) {
    std::vector<const ClassificationExample*> which;
    for (auto i = start; i < std::min(order.size(), start + step); ++i)
      which.push_back(&train_[order[i]]);
    auto b = std::make_shared<ClassificationBatch>();
    b->sequences =
        make_sequence_batch(ids_of(which), batching_.packing,
                            static_cast<std::size_t>(batching_.max_seq_len), batching_.pad_id);
    b->targets = classification_targets(which, model_->num_labels(), problem_);
    b->count = static_cast<std::int64_t>(which.size());
    b->tokens = b->sequences.packed.tokens;
    out.push_back(std::move(b));
  }
  return out;
}

BatchLoss ClassificationTask::loss(const TrainingBatch& batch) {
  const auto& b = static_cast<const ClassificationBatch&>(batch);
  auto l = classification_loss(logits_of(model_, b.sequences), b.targets, problem_);
  return {l.sum, {{"exact_match", l.correct}}};
}

std::vector<std::vector<double>> ClassificationTask::eval_probabilities() {
  std::vector<PromptAnswerIds> ids;
  for (const auto& e : eval_) ids.push_back(e.ids);
  return classify_examples(model_, ids, problem_, batching_);
}

std::map<std::string, double> ClassificationTask::evaluate() {
  const auto probs = eval_probabilities();
  model_->train();
  std::vector<const ClassificationExample*> all;
  for (const auto& e : eval_) all.push_back(&e);
  const auto heads = model_->num_labels();
  auto targets = classification_targets(all, heads, problem_);
  std::vector<double> flat;
  for (const auto& row : probs) flat.insert(flat.end(), row.begin(), row.end());
  auto p =
      torch::tensor(flat, torch::kDouble).view({static_cast<std::int64_t>(probs.size()), heads});
  // The loss from probabilities (clamped), as the logits are not kept.
  auto logits = problem_ == ClassificationProblem::kMultiLabel
                    ? torch::logit(p.clamp(1e-12, 1 - 1e-12))
                    : torch::log(p.clamp_min(1e-300));
  auto l = classification_loss(logits, targets, problem_);
  const double n = static_cast<double>(probs.size());
  double f1 = 0, auc = 0, counted = 0;
  const std::int64_t first = problem_ == ClassificationProblem::kMultiLabel ? 0 : 1;
  for (std::int64_t c = first; c < heads; ++c) {
    std::vector<double> scores;
    std::vector<bool> positive;
    for (std::size_t i = 0; i < probs.size(); ++i) {
      scores.push_back(probs[i][static_cast<std::size_t>(c)]);
      const auto& labels = eval_[i].labels;
      positive.push_back(std::find(labels.begin(), labels.end(), c - first) != labels.end());
    }
    auto m = category_metrics("", scores, positive, 0.5);
    if (m.positives == 0 || m.negatives == 0) continue;
    f1 += m.f1, auc += m.auroc, counted += 1;
  }
  return {{"loss", l.sum.item<double>() / n},
          {"exact_match", l.correct / n},
          {"macro_f1", counted ? f1 / counted : 0},
          {"mean_auroc", counted ? auc / counted : 0}};
}

void ClassificationTask::set_training(bool training) { model_->train(training); }

void ClassificationTask::weights_changed() { model_->invalidate_precision_cache(); }

}  // namespace chosei
