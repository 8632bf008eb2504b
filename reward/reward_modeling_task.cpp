#include "reward/reward_modeling_task.h"

#include <cmath>
#include <numeric>
#include <random>

#include "reward/bradley_terry_loss.h"
#include "reward/pair_batch.h"
#include "reward/pair_scores.h"
#include "train/epoch_order.h"

namespace chosei {

namespace {

struct RewardBatch : TrainingBatch {
  PairBatch pairs;
};

std::pair<double, double> mean_std(const std::vector<double>& v) {
  if (v.empty()) return {0, 0};
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return {mean, std::sqrt(sq / static_cast<double>(v.size()))};
}

}  // namespace

RewardModelingTask::RewardModelingTask(LlamaForSequenceClassification model,
                                       std::vector<PreferenceExample> train,
                                       std::vector<PreferenceExample> eval, RewardBatching batching)
    : model_(std::move(model)),
      train_(std::move(train)),
      eval_(std::move(eval)),
      batching_(batching) {
  if (train_.empty()) throw std::invalid_argument("no training pairs");
}

TrainingBatches RewardModelingTask::train_batches(std::int64_t epoch, std::uint64_t seed) {
  std::vector<std::size_t> order(train_.size());
  if (batching_.shuffle)
    order = epoch_order(train_.size(), seed, epoch);
  else
    std::iota(order.begin(), order.end(), std::size_t{0});
  TrainingBatches out;
  const auto step = static_cast<std::size_t>(batching_.pairs_per_batch);
  for (std::size_t start = 0; start < order.size(); start += step) {
    std::vector<std::size_t> which(
        order.begin() + static_cast<std::ptrdiff_t>(start),
        order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + step)));
    auto b = std::make_shared<RewardBatch>();
    b->pairs = make_pair_batch(train_, which, batching_.packing,
                               static_cast<std::size_t>(batching_.max_seq_len), batching_.pad_id);
    b->count = static_cast<std::int64_t>(which.size());
    b->tokens = b->pairs.packed.tokens;
    out.push_back(std::move(b));
  }
  return out;
}

BatchLoss RewardModelingTask::loss(const TrainingBatch& batch) {
  const auto& b = static_cast<const RewardBatch&>(batch).pairs;
  ForwardOptions fwd;
  fwd.positions = b.packed.positions;
  fwd.attention_mask = b.packed.attention_mask;
  auto hidden = model_->hidden_states(b.packed.input_ids, fwd);
  auto chosen = model_->score_at(hidden, b.chosen_rows, b.chosen_cols).select(1, 0);
  auto rejected = model_->score_at(hidden, b.rejected_rows, b.rejected_cols).select(1, 0);
  auto l = bradley_terry_loss(chosen, rejected, b.margins, batching_.center_rewards);
  return {l.sum,
          {{"accuracy", l.correct},
           {"margin", l.margin_sum},
           {"chosen_reward", l.chosen_sum},
           {"rejected_reward", l.rejected_sum}}};
}

ScoringOptions RewardModelingTask::scoring_options() const {
  ScoringOptions opt;
  opt.pairs_per_batch = static_cast<std::size_t>(batching_.pairs_per_batch);
  opt.capacity = static_cast<std::size_t>(batching_.max_seq_len);
  opt.pack = batching_.packing;
  opt.pad_id = batching_.pad_id;
  return opt;
}

std::map<std::string, double> RewardModelingTask::evaluate() {
  auto s = score_pairs(model_, eval_, scoring_options());
  model_->train();
  const auto n = static_cast<std::int64_t>(s.chosen.size());
  auto c = torch::tensor(s.chosen, torch::kDouble), r = torch::tensor(s.rejected, torch::kDouble);
  std::vector<double> margins(s.chosen.size());
  for (std::size_t i = 0; i < margins.size(); ++i) margins[i] = eval_[i].margin;
  auto l =
      bradley_terry_loss(c, r, torch::tensor(margins, torch::kDouble), batching_.center_rewards);
  auto [cm, cs] = mean_std(s.chosen);
  auto [rm, rs] = mean_std(s.rejected);
  std::vector<double> all = s.chosen;
  all.insert(all.end(), s.rejected.begin(), s.rejected.end());
  auto [am, as] = mean_std(all);
  return {{"loss", l.sum.item<double>() / static_cast<double>(n)},
          {"accuracy", l.correct / static_cast<double>(n)},
          {"margin", l.margin_sum / static_cast<double>(n)},
          {"chosen_reward", cm},
          {"chosen_reward_std", cs},
          {"rejected_reward", rm},
          {"rejected_reward_std", rs},
          {"reward_mean", am},
          {"reward_std", as}};
}

std::pair<double, double> RewardModelingTask::train_reward_mean_std() {
  auto s = score_pairs(model_, train_, scoring_options());
  std::vector<double> all = s.chosen;
  all.insert(all.end(), s.rejected.begin(), s.rejected.end());
  return mean_std(all);
}

void RewardModelingTask::set_training(bool training) { model_->train(training); }

void RewardModelingTask::weights_changed() { model_->invalidate_precision_cache(); }

}  // namespace chosei
