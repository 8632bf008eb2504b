#include "align/sequence_logps.h"

namespace chosei {

LogpBatch make_logp_batch(const std::vector<const PromptAnswerIds*>& sequences, bool pack,
                          std::size_t capacity, TokenId pad_id) {
  std::vector<SftExample> seqs;
  std::vector<std::size_t> lengths;
  for (const auto* s : sequences) {
    SftExample e;
    e.ids = s->ids;
    e.labels.assign(s->ids.begin(), s->ids.end());  // every next token is a target
    lengths.push_back(e.ids.size());
    seqs.push_back(std::move(e));
  }
  std::vector<std::vector<std::size_t>> rows;
  if (pack)
    rows = pack_best_fit_decreasing(lengths, capacity);
  else
    for (std::size_t i = 0; i < seqs.size(); ++i) rows.push_back({i});
  LogpBatch b;
  b.packed = make_batch(seqs, rows, pad_id);
  b.sequences = static_cast<std::int64_t>(sequences.size());
  const auto T = b.packed.input_ids.size(1);
  std::vector<std::int64_t> owner(static_cast<std::size_t>(rows.size() * T), -1);
  std::vector<std::uint8_t> answer(owner.size(), 0);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::size_t offset = r * static_cast<std::size_t>(T);
    for (auto i : rows[r]) {
      // The target at position j of the sequence is token j + 1: an answer token from the
      // first answer position on. The last position predicts nothing.
      for (std::size_t j = 0; j + 1 < lengths[i]; ++j) {
        owner[offset + j] = static_cast<std::int64_t>(i);
        answer[offset + j] = j + 1 >= sequences[i]->prompt_tokens;
      }
      offset += lengths[i];
    }
  }
  const auto shape = std::vector<std::int64_t>{static_cast<std::int64_t>(rows.size()), T};
  b.sequence = torch::tensor(owner, torch::kLong).view(shape);
  b.answer = torch::tensor(answer, torch::kUInt8).view(shape).to(torch::kBool);
  return b;
}

SequenceLogps sequence_logps(LlamaForCausalLM& model, const LogpBatch& b, double temperature) {
  ForwardOptions fwd;
  fwd.positions = b.packed.positions;
  fwd.attention_mask = b.packed.attention_mask;
  auto logits = model->forward(b.packed.input_ids, fwd).to(torch::kFloat32);
  if (temperature != 1.0) logits = logits / temperature;
  auto targets = b.packed.targets;
  auto valid = b.sequence.ge(0);
  auto token_logp =
      torch::log_softmax(logits, -1).gather(-1, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1);
  auto owner = b.sequence.masked_select(valid);
  auto logp = token_logp.masked_select(valid);
  auto in_answer = b.answer.masked_select(valid).to(torch::kFloat32);
  auto zeros = torch::zeros({b.sequences}, torch::kFloat32);
  SequenceLogps s;
  s.all_sum = zeros.index_add(0, owner, logp);
  s.all_tokens = zeros.index_add(0, owner, torch::ones_like(logp));
  s.answer_sum = zeros.index_add(0, owner, logp * in_answer);
  s.answer_tokens = zeros.index_add(0, owner, in_answer);
  return s;
}

}  // namespace chosei
