#include "reward/pair_batch.h"

namespace chosei {

SequenceBatch make_sequence_batch(const std::vector<const PromptAnswerIds*>& sequences, bool pack,
                                  std::size_t capacity, TokenId pad_id) {
  std::vector<SftExample> seqs;
  std::vector<std::size_t> lengths;
  for (const auto* s : sequences) {
    SftExample e;
    e.ids = s->ids;
    e.labels.assign(s->ids.size(), kIgnoreLabel);  // no next-token targets: scores only
    lengths.push_back(e.ids.size());
    seqs.push_back(std::move(e));
  }
  std::vector<std::vector<std::size_t>> rows;
  if (pack) {
    rows = pack_best_fit_decreasing(lengths, capacity);
  } else {
    for (std::size_t i = 0; i < seqs.size(); ++i) rows.push_back({i});
  }
  SequenceBatch b;
  b.packed = make_batch(seqs, rows, pad_id);
  std::vector<std::int64_t> row_of(seqs.size()), col_of(seqs.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::int64_t offset = 0;
    for (auto i : rows[r]) {
      offset += static_cast<std::int64_t>(lengths[i]);
      row_of[i] = static_cast<std::int64_t>(r);
      col_of[i] = offset - 1;
    }
  }
  b.rows = torch::tensor(row_of, torch::kLong);
  b.cols = torch::tensor(col_of, torch::kLong);
  return b;
}

PairBatch make_pair_batch(const std::vector<PreferenceExample>& examples,
                          const std::vector<std::size_t>& which, bool pack, std::size_t capacity,
                          TokenId pad_id) {
  std::vector<const PromptAnswerIds*> seqs;  // chosen, rejected, chosen, rejected, ...
  std::vector<float> margins;
  for (auto i : which) {
    seqs.push_back(&examples.at(i).chosen);
    seqs.push_back(&examples.at(i).rejected);
    margins.push_back(static_cast<float>(examples[i].margin));
  }
  auto s = make_sequence_batch(seqs, pack, capacity, pad_id);
  PairBatch b;
  b.packed = std::move(s.packed);
  const auto n = static_cast<std::int64_t>(which.size());
  b.chosen_rows = s.rows.slice(0, 0, 2 * n, 2);
  b.chosen_cols = s.cols.slice(0, 0, 2 * n, 2);
  b.rejected_rows = s.rows.slice(0, 1, 2 * n, 2);
  b.rejected_cols = s.cols.slice(0, 1, 2 * n, 2);
  b.margins = torch::tensor(margins, torch::kFloat32);
  b.examples = which;
  return b;
}

}  // namespace chosei
