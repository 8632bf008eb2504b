#include "align/completion_rewards.h"

#include <re2/re2.h>

#include <stdexcept>

#include "filters/rule_pack.h"
#include "reward/answer_scores.h"

namespace chosei {

namespace {

std::unique_ptr<re2::RE2> compile(const std::string& key, const std::string& pattern) {
  if (pattern.empty()) return nullptr;
  auto re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
  if (!re->ok())
    throw std::invalid_argument("config key \"" + key + "\": bad regex \"" + pattern +
                                "\": " + re->error());
  return re;
}

}  // namespace

CompletionRewards::CompletionRewards(const RewardTerms& terms)
    : terms_(terms),
      filters_(load_rule_packs(terms.packs)),
      must_(compile("must_match", terms.must_match)),
      must_not_(compile("must_not_match", terms.must_not_match)) {
  for (auto [key, v] : {std::pair<const char*, double>{"safety_penalty", terms.safety_penalty},
                        {"redact_penalty", terms.redact_penalty},
                        {"flag_penalty", terms.flag_penalty},
                        {"length_penalty", terms.length_penalty},
                        {"rule_penalty", terms.rule_penalty}})
    if (v < 0)
      throw std::invalid_argument(std::string("config key \"") + key +
                                  "\" is a penalty: 0 or more, got " + std::to_string(v));
  if (!terms.reward_model.empty()) {
    rm_ = load_score_model_dir(terms.reward_model);
    if (rm_->head_initialized)
      throw std::invalid_argument("reward_model " + terms.reward_model +
                                  ": a causal LM, not a reward model (no score head)");
  }
}

CompletionRewards::~CompletionRewards() = default;

double CompletionRewards::safety_term(const FilterResult& r) const {
  if (r.decision == FilterDecision::kBlock) return -terms_.safety_penalty;
  if (r.decision == FilterDecision::kRedact) return -terms_.redact_penalty;
  return r.matches.empty() ? 0.0 : -terms_.flag_penalty;
}

std::vector<CompletionReward> CompletionRewards::score(
    const std::vector<const PromptRecord*>& prompts, const std::vector<std::string>& answers,
    const std::vector<std::int64_t>& completion_tokens) {
  std::vector<CompletionReward> out(answers.size());
  if (rm_) {
    const auto scores = score_answers(*rm_, prompts, answers);
    for (std::size_t i = 0; i < out.size(); ++i) out[i].model = normalized_reward(*rm_, scores[i]);
  }
  const double max_len = double(std::max<std::int64_t>(1, terms_.max_new_tokens));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto& context = prompts[i]->turns.back().content;
    const auto checked = filters_.check(answers[i], FilterDirection::kOutput, context);
    out[i].safety = safety_term(checked);
    out[i].violation = !checked.matches.empty();
    double rules = -terms_.length_penalty * double(completion_tokens[i]) / max_len;
    if (must_ && !re2::RE2::PartialMatch(answers[i], *must_)) rules -= terms_.rule_penalty;
    if (must_not_ && re2::RE2::PartialMatch(answers[i], *must_not_)) rules -= terms_.rule_penalty;
    out[i].rules = rules;
  }
  return out;
}

}  // namespace chosei
