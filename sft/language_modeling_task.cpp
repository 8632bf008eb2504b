#include "sft/language_modeling_task.h"

#include <cmath>
#include <numeric>
#include <random>

#include "train/causal_lm_loss.h"
#include "train/lm_evaluation.h"

namespace chosei {

namespace {

struct LmBatch : TrainingBatch {
  PackedBatch packed;
};

}  // namespace

LanguageModelingTask::LanguageModelingTask(LlamaForCausalLM model, std::vector<SftExample> train,
                                           std::vector<SftExample> eval, BatchingOptions batching)
    : model_(std::move(model)),
      train_(std::move(train)),
      eval_(std::move(eval)),
      batching_(batching) {
  if (train_.empty()) throw std::invalid_argument("no training examples");
  eval_batches_ = batches(eval_, -1, 0);
}

std::vector<PackedBatch> LanguageModelingTask::batches(const std::vector<SftExample>& examples,
                                                       std::int64_t epoch,
                                                       std::uint64_t seed) const {
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed * 1000003ull + static_cast<std::uint64_t>(epoch));
  const bool shuffle = batching_.shuffle;
  if (shuffle) std::shuffle(order.begin(), order.end(), rng);
  return make_batches(
      examples, order, batching_.packing, static_cast<std::size_t>(batching_.max_seq_len),
      static_cast<std::size_t>(batching_.batch_size), batching_.pad_id, shuffle ? &rng : nullptr);
}

TrainingBatches LanguageModelingTask::train_batches(std::int64_t epoch, std::uint64_t seed) {
  TrainingBatches out;
  for (auto& b : batches(train_, epoch, seed)) {
    auto lm = std::make_shared<LmBatch>();
    lm->count = b.target_tokens;
    lm->tokens = b.tokens;
    lm->packed = std::move(b);
    out.push_back(std::move(lm));
  }
  return out;
}

BatchLoss LanguageModelingTask::loss(const TrainingBatch& batch) {
  const auto b = on_device(static_cast<const LmBatch&>(batch).packed, model_->device());
  ForwardOptions fwd;
  fwd.positions = b.positions;
  fwd.attention_mask = b.attention_mask;
  auto loss = chunked_causal_lm_loss(*model_, model_->hidden_states(b.input_ids, fwd), b.targets);
  // Summed over the loss's units (target tokens): the loop logs it as a mean per target.
  return {loss.sum, {{"mean_token_accuracy", double(loss.correct)}}};
}

std::map<std::string, double> LanguageModelingTask::evaluate() {
  const auto totals = lm_loss_totals(model_, eval_batches_);
  model_->train();
  const double loss = totals.mean();
  return {
      {"loss", loss}, {"ppl", std::exp(loss)}, {"mean_token_accuracy", totals.token_accuracy()}};
}

void LanguageModelingTask::set_training(bool training) {
  if (training)
    model_->train();
  else
    model_->eval();
}

void LanguageModelingTask::weights_changed() { model_->invalidate_precision_cache(); }

}  // namespace chosei
