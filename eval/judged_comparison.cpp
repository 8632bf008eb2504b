#include "eval/judged_comparison.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include "base/atomic_file.h"
#include "base/precision.h"
#include "datasets/prompt_reader.h"
#include "eval/prompt_answers.h"
#include "eval/refusal_detector.h"
#include "filters/filter_engine.h"
#include "filters/rule_pack.h"
#include "formats/score_model_dir.h"
#include "reward/answer_scores.h"

namespace chosei {

using nlohmann::json;

namespace {

// Every prompt answered `samples` times (seed + k) by the model in `dir`.
std::vector<std::string> answers_of(const std::string& dir,
                                    const std::vector<PromptRecord>& prompts,
                                    const JudgedComparisonArgs& a) {
  std::vector<AnswerRequest> requests;
  for (const auto& p : prompts)
    for (int k = 0; k < a.samples; ++k) {
      SamplingOptions s;
      s.temperature = a.temperature;
      s.top_p = a.top_p;
      s.seed = a.seed + static_cast<std::uint64_t>(k);
      requests.push_back(prompt_request(p, s, a.max_new_tokens));
    }
  std::vector<std::string> out;
  for (auto& answer : answer_requests(dir, requests, {a.batch, parse_precision(a.precision)}))
    out.push_back(std::move(answer.text));
  return out;
}

std::vector<double> judge(LoadedScoreModel& rm, const std::vector<PromptRecord>& prompts,
                          int samples, const std::vector<std::string>& answers) {
  std::vector<const PromptRecord*> of;
  for (std::size_t i = 0; i < answers.size(); ++i)
    of.push_back(&prompts[i / static_cast<std::size_t>(samples)]);
  return score_answers(rm, of, answers);
}

// Wins (ties half) per prompt, then a percentile bootstrap of the mean over prompts.
std::pair<double, double> bootstrap_ci(const std::vector<double>& per_prompt) {
  std::mt19937_64 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, per_prompt.size() - 1);
  std::vector<double> means;
  for (int b = 0; b < 2000; ++b) {
    double s = 0;
    for (std::size_t i = 0; i < per_prompt.size(); ++i) s += per_prompt[pick(rng)];
    means.push_back(s / static_cast<double>(per_prompt.size()));
  }
  std::sort(means.begin(), means.end());
  return {means[49], means[1949]};
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// The judged prompts and the optional red-team and benign ones, answered together: each
// model is loaded once and all its answers share the batches.
struct PromptSets {
  std::vector<PromptRecord> judged, safety, benign;
  std::vector<PromptRecord> all() const {
    auto v = judged;
    v.insert(v.end(), safety.begin(), safety.end());
    v.insert(v.end(), benign.begin(), benign.end());
    return v;
  }
};

struct AnswerSets {
  std::vector<std::string> judged, safety, benign;
};

AnswerSets answer_sets(const std::string& dir, const PromptSets& p, const JudgedComparisonArgs& a) {
  const auto all = answers_of(dir, p.all(), a);
  const auto k = static_cast<std::size_t>(a.samples);
  const auto cut1 = p.judged.size() * k, cut2 = cut1 + p.safety.size() * k;
  auto at = [&](std::size_t from, std::size_t to) {
    return std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(from),
                                    all.begin() + static_cast<std::ptrdiff_t>(to));
  };
  return {at(0, cut1), at(cut1, cut2), at(cut2, all.size())};
}

json safety_share(const std::vector<PromptRecord>& prompts, const std::vector<std::string>& answers,
                  int samples, const FilterEngine& filters) {
  std::size_t flagged = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const auto& context = prompts[i / static_cast<std::size_t>(samples)].turns.back().content;
    flagged += !filters.check(answers[i], FilterDirection::kOutput, context).matches.empty();
  }
  return {{"answers", answers.size()},
          {"flagged", flagged},
          {"flagged_share", static_cast<double>(flagged) / static_cast<double>(answers.size())}};
}

json refusal_share(const std::vector<std::string>& answers) {
  std::size_t refused = 0;
  for (const auto& answer : answers) refused += is_refusal(answer);
  return {{"answers", answers.size()},
          {"refusals", refused},
          {"refusal_share", static_cast<double>(refused) / static_cast<double>(answers.size())}};
}

}  // namespace

json run_judged_comparison(const JudgedComparisonArgs& a) {
  if (a.baseline.empty()) throw std::invalid_argument("--judge compares with --baseline DIR");
  if (a.samples < 1) throw std::invalid_argument("--samples must be at least 1");
  auto rm = load_score_model_dir(a.judge);
  if (rm.head_initialized)
    throw std::invalid_argument(a.judge + ": a causal LM, not a reward model (no score head)");
  PromptSets sets;
  sets.judged = read_prompt_file(a.prompts);
  if (!a.safety.empty()) sets.safety = read_prompt_file(a.safety);
  if (!a.benign.empty()) sets.benign = read_prompt_file(a.benign);
  const auto& prompts = sets.judged;
  const auto model_answers = answer_sets(a.model, sets, a);
  // The same directory answers the same prompts with the same seeds the same way: decode once.
  std::error_code ec;
  const bool same = std::filesystem::equivalent(a.model, a.baseline, ec) && !ec;
  const auto baseline_answers = same ? model_answers : answer_sets(a.baseline, sets, a);
  const auto &ours = model_answers.judged, &theirs = baseline_answers.judged;
  const auto r_ours = judge(rm, prompts, a.samples, ours);
  const auto r_theirs = judge(rm, prompts, a.samples, theirs);
  std::int64_t wins = 0, ties = 0, losses = 0;
  std::vector<double> per_prompt(prompts.size(), 0.0);
  for (std::size_t i = 0; i < ours.size(); ++i) {
    // The same text is a tie by definition (its two scores may differ in the last bits when
    // packed with different neighbours).
    const double d = ours[i] == theirs[i] ? 0.0 : r_ours[i] - r_theirs[i];
    const double score = d > 0 ? 1.0 : d < 0 ? 0.0 : 0.5;
    (d > 0 ? wins : d < 0 ? losses : ties) += 1;
    per_prompt[i / static_cast<std::size_t>(a.samples)] += score / a.samples;
  }
  const auto [lo, hi] = bootstrap_ci(per_prompt);
  json r = {{"prompts", prompts.size()},
            {"comparisons", ours.size()},
            {"win_rate", mean(per_prompt)},
            {"win_rate_ci95", {lo, hi}},
            {"wins", wins},
            {"ties", ties},
            {"losses", losses},
            {"reward_model", mean(r_ours)},
            {"reward_baseline", mean(r_theirs)}};
  if (!a.out.empty())
    write_file_atomic(a.out, [&](std::ostream& out) {
      for (std::size_t i = 0; i < ours.size(); ++i)
        out << json{{"prompt", prompts[i / static_cast<std::size_t>(a.samples)].id},
                    {"answer", ours[i]},
                    {"baseline_answer", theirs[i]},
                    {"reward", r_ours[i]},
                    {"baseline_reward", r_theirs[i]}}
                   .dump(-1, ' ', false, json::error_handler_t::replace)
            << "\n";
    });
  if (!a.safety.empty()) {
    FilterEngine filters(load_rule_packs(a.packs));
    r["safety"] = {
        {"model", safety_share(sets.safety, model_answers.safety, a.samples, filters)},
        {"baseline", safety_share(sets.safety, baseline_answers.safety, a.samples, filters)}};
  }
  if (!a.benign.empty())
    r["benign"] = {{"model", refusal_share(model_answers.benign)},
                   {"baseline", refusal_share(baseline_answers.benign)}};
  return r;
}

}  // namespace chosei
