#include "reward/reward_evaluation.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "base/atomic_file.h"
#include "datasets/preference_reader.h"
#include "formats/score_model_dir.h"
#include "reward/pair_scores.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

namespace {

struct ScoredPairs {
  std::vector<PreferenceExample> examples;
  PairScores scores;
  std::int64_t dropped = 0;
};

ScoredPairs score_with(const std::string& model_dir, const PreferenceDataset& data,
                       const RewardEvalOptions& opt) {
  auto m = load_score_model_dir(model_dir);
  if (m.head_initialized)
    throw std::invalid_argument(model_dir + ": a causal LM, not a reward model (no score head)");
  auto tmpl = choose_chat_template(m.tokenizer.config, opt.chat_template);
  const auto limit =
      opt.max_seq_len > 0 ? opt.max_seq_len : m.model->config().max_position_embeddings;
  PreferenceTokenizeReport report;
  ScoredPairs out;
  out.examples =
      tokenize_preference_pairs(data.pairs, *m.tokenizer.tokenizer, tmpl, limit, &report);
  out.dropped = report.dropped_too_long + report.dropped_prompt_too_long;
  ScoringOptions so;
  so.pairs_per_batch = static_cast<std::size_t>(std::max<std::int64_t>(1, opt.batch_size));
  so.capacity = static_cast<std::size_t>(limit);
  so.pad_id = std::max<TokenId>(0, m.tokenizer.tokenizer->eos_id());
  out.scores = score_pairs(m.model, out.examples, so);
  return out;
}

std::vector<LengthBucket> length_buckets(const ScoredPairs& s, int count) {
  std::vector<std::pair<std::size_t, bool>> items;  // (mean answer tokens, correct)
  for (std::size_t i = 0; i < s.examples.size(); ++i) {
    const auto& e = s.examples[i];
    items.emplace_back((e.chosen.answer_tokens() + e.rejected.answer_tokens()) / 2,
                       s.scores.chosen[i] > s.scores.rejected[i]);
  }
  std::sort(items.begin(), items.end());
  std::vector<LengthBucket> out;
  for (int b = 0; b < count && !items.empty(); ++b) {
    const auto lo = items.size() * static_cast<std::size_t>(b) / static_cast<std::size_t>(count);
    const auto hi =
        items.size() * static_cast<std::size_t>(b + 1) / static_cast<std::size_t>(count);
    if (hi <= lo) continue;
    LengthBucket k;
    k.min_tokens = items[lo].first, k.max_tokens = items[hi - 1].first;
    k.pairs = static_cast<std::int64_t>(hi - lo);
    for (auto i = lo; i < hi; ++i) k.accuracy += items[i].second ? 1 : 0;
    k.accuracy /= static_cast<double>(k.pairs);
    out.push_back(k);
  }
  return out;
}

std::string fixed(double v, int digits = 4) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}

}  // namespace

RewardEvalResult evaluate_reward_model(const RewardEvalOptions& opt) {
  PreferenceReadOptions read;
  read.from = opt.from;
  auto data = read_preference_dataset(opt.data, read);
  if (data.pairs.empty()) throw std::invalid_argument(opt.data + ": no preference pairs");
  auto s = score_with(opt.model, data, opt);
  RewardEvalResult r;
  r.pairs = static_cast<std::int64_t>(s.examples.size());
  r.dropped = s.dropped;
  if (r.pairs == 0) throw std::invalid_argument(opt.data + ": every pair is over max_seq_len");
  std::vector<double> margins;
  std::vector<std::size_t> chosen_len, rejected_len;
  for (std::size_t i = 0; i < s.examples.size(); ++i) {
    margins.push_back(s.scores.chosen[i] - s.scores.rejected[i]);
    r.correct += margins.back() > 0 ? 1 : 0;
    const auto& pair = data.pairs[s.examples[i].pair];
    chosen_len.push_back(turns_text(pair.chosen).size());
    rejected_len.push_back(turns_text(pair.rejected).size());
  }
  r.accuracy = static_cast<double>(r.correct) / static_cast<double>(r.pairs);
  std::tie(r.ci_low, r.ci_high) = wilson_interval(r.correct, r.pairs);
  for (double d : margins) r.mean_margin += d / static_cast<double>(r.pairs);
  r.ece = expected_calibration_error(margins, 10, &r.calibration);
  r.by_length = length_buckets(s, 4);
  r.shorter_wins = length_baseline_accuracy(chosen_len, rejected_len, true);
  r.longer_wins = length_baseline_accuracy(chosen_len, rejected_len, false);
  if (!opt.baseline.empty()) {
    auto b = score_with(opt.baseline, data, opt);
    std::int64_t right = 0;
    for (std::size_t i = 0; i < b.examples.size(); ++i)
      right += b.scores.chosen[i] > b.scores.rejected[i] ? 1 : 0;
    r.baseline_accuracy = b.examples.empty()
                              ? 0
                              : static_cast<double>(right) / static_cast<double>(b.examples.size());
  }
  if (!opt.report.empty())
    write_file_atomic(opt.report, reward_eval_html(r, opt.model + " on " + opt.data));
  return r;
}

nlohmann::ordered_json reward_eval_json(const RewardEvalResult& r) {
  nlohmann::ordered_json j = {{"pairs", r.pairs},
                              {"accuracy", r.accuracy},
                              {"accuracy_ci95", {r.ci_low, r.ci_high}},
                              {"mean_margin", r.mean_margin},
                              {"ece", r.ece},
                              {"dropped_too_long", r.dropped},
                              {"shorter_answer_wins", r.shorter_wins},
                              {"longer_answer_wins", r.longer_wins}};
  if (r.baseline_accuracy) j["baseline_accuracy"] = *r.baseline_accuracy;
  j["calibration"] = nlohmann::ordered_json::array();
  for (const auto& b : r.calibration)
    j["calibration"].push_back({{"lo", b.lo},
                                {"hi", b.hi},
                                {"count", b.count},
                                {"confidence", b.confidence},
                                {"accuracy", b.accuracy}});
  j["by_length"] = nlohmann::ordered_json::array();
  for (const auto& b : r.by_length)
    j["by_length"].push_back({{"min_tokens", b.min_tokens},
                              {"max_tokens", b.max_tokens},
                              {"pairs", b.pairs},
                              {"accuracy", b.accuracy}});
  return j;
}

std::string reward_eval_text(const RewardEvalResult& r) {
  std::ostringstream o;
  o << "pairs: " << r.pairs;
  if (r.dropped) o << " (" << r.dropped << " over max_seq_len left out)";
  o << "\naccuracy: " << fixed(r.accuracy) << "  95% CI [" << fixed(r.ci_low) << ", "
    << fixed(r.ci_high) << "]\nmean margin: " << fixed(r.mean_margin)
    << "\nECE (10 bins): " << fixed(r.ece) << "\nshorter answer wins: " << fixed(r.shorter_wins)
    << "\nlonger answer wins: " << fixed(r.longer_wins) << "\n";
  if (r.baseline_accuracy) o << "baseline model accuracy: " << fixed(*r.baseline_accuracy) << "\n";
  o << "by answer length (tokens):\n";
  for (const auto& b : r.by_length)
    o << "  " << b.min_tokens << "-" << b.max_tokens << ": " << fixed(b.accuracy) << " (" << b.pairs
      << " pairs)\n";
  return o.str();
}

}  // namespace chosei
