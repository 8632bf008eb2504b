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

namespace {

struct TokenLogps {
  torch::Tensor logp, entropy;  // (B, T)
};

TokenLogps token_logps(LlamaForCausalLM& model, const LogpBatch& b, double temperature,
                       bool entropy) {
  ForwardOptions fwd;
  fwd.positions = b.packed.positions;
  fwd.attention_mask = b.packed.attention_mask;
  auto logits = model->forward(b.packed.input_ids, fwd).to(torch::kFloat32);
  if (temperature != 1.0) logits = logits / temperature;
  auto log_probs = torch::log_softmax(logits, -1);
  TokenLogps t;
  t.logp = log_probs.gather(-1, b.packed.targets.clamp_min(0).unsqueeze(-1)).squeeze(-1);
  if (entropy) {
    torch::NoGradGuard no_grad;
    t.entropy = -(log_probs.exp() * log_probs).sum(-1);
  }
  return t;
}

}  // namespace

SequenceLogps sequence_logps(LlamaForCausalLM& model, const LogpBatch& b, double temperature) {
  auto token_logp = token_logps(model, b, temperature, false).logp;
  auto valid = b.sequence.ge(0);
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

AnswerTokenLogps answer_token_logps(LlamaForCausalLM& model, const LogpBatch& b, double temperature,
                                    bool entropy) {
  auto t = token_logps(model, b, temperature, entropy);
  const auto keep = b.sequence.ge(0).logical_and(b.answer);
  AnswerTokenLogps out;
  out.logp = t.logp.masked_select(keep);
  out.owner = b.sequence.masked_select(keep);
  if (entropy) out.entropy = t.entropy.masked_select(keep);
  return out;
}

}  // namespace chosei
