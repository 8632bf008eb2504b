#include "reward/pair_scores.h"

#include <algorithm>

#include "reward/pair_batch.h"

namespace chosei {

namespace {

torch::Tensor hidden_of(LlamaForSequenceClassification& model, const PackedBatch& packed) {
  ForwardOptions fwd;
  fwd.positions = packed.positions;
  fwd.attention_mask = packed.attention_mask;
  return model->hidden_states(packed.input_ids, fwd);
}

std::vector<double> scores_at(LlamaForSequenceClassification& model, const torch::Tensor& hidden,
                              const torch::Tensor& rows, const torch::Tensor& cols) {
  auto s = model->score_at(hidden, rows, cols).select(1, 0).to(torch::kDouble).contiguous();
  return {s.data_ptr<double>(), s.data_ptr<double>() + s.numel()};
}

}  // namespace

PairScores score_pairs(LlamaForSequenceClassification& model,
                       const std::vector<PreferenceExample>& examples, const ScoringOptions& opt) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  PairScores out;
  for (std::size_t start = 0; start < examples.size(); start += opt.pairs_per_batch) {
    std::vector<std::size_t> which;
    for (auto i = start; i < std::min(examples.size(), start + opt.pairs_per_batch); ++i)
      which.push_back(i);
    auto b = make_pair_batch(examples, which, opt.pack, opt.capacity, opt.pad_id);
    auto hidden = hidden_of(model, b.packed);  // one forward for both sides
    auto c = scores_at(model, hidden, b.chosen_rows, b.chosen_cols);
    auto r = scores_at(model, hidden, b.rejected_rows, b.rejected_cols);
    out.chosen.insert(out.chosen.end(), c.begin(), c.end());
    out.rejected.insert(out.rejected.end(), r.begin(), r.end());
  }
  model->train(was_training);
  return out;
}

std::vector<double> score_sequences(LlamaForSequenceClassification& model,
                                    const std::vector<PromptAnswerIds>& sequences,
                                    const ScoringOptions& opt) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::vector<double> out;
  const std::size_t per_batch = 2 * opt.pairs_per_batch;
  for (std::size_t start = 0; start < sequences.size(); start += per_batch) {
    std::vector<const PromptAnswerIds*> seqs;
    for (auto i = start; i < std::min(sequences.size(), start + per_batch); ++i)
      seqs.push_back(&sequences[i]);
    auto b = make_sequence_batch(seqs, opt.pack, opt.capacity, opt.pad_id);
    auto s = scores_at(model, hidden_of(model, b.packed), b.rows, b.cols);
    out.insert(out.end(), s.begin(), s.end());
  }
  model->train(was_training);
  return out;
}

}  // namespace chosei
