#pragma once
// The reward of one sampled completion in online alignment, as the sum of logged parts:
//   model   the reward model's score of the answer in its conversation, normalized by the
//           mean and std `reward train` saved (reward/answer_scores.h); 0 without a model
//   safety  the output filters and their classifier rules (the packs `--pack` takes) on the
//           answer, judged after its prompt: block → −safety_penalty, redact →
//           −redact_penalty, flag → −flag_penalty; any match counts as a violation
//   rules   −length_penalty · tokens / max_new_tokens, and −rule_penalty when the
//           must_match regex (RE2) finds nothing or the must_not_match one finds something
// A completion cut at max_new_tokens is scored as it stands (the RM judges what was said).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datasets/prompt_reader.h"
#include "filters/filter_engine.h"
#include "formats/score_model_dir.h"

namespace re2 {
class RE2;
}

namespace chosei {

struct RewardTerms {
  std::string reward_model;        // a score-model directory, or "" for none
  std::vector<std::string> packs;  // empty: the default packs
  double safety_penalty = 1.0, redact_penalty = 0.5, flag_penalty = 0.25;
  double length_penalty = 0.0;
  std::string must_match, must_not_match;
  double rule_penalty = 1.0;
  std::int64_t max_new_tokens = 256;
};

struct CompletionReward {
  double model = 0, safety = 0, rules = 0;
  bool violation = false;
  double total() const { return model + safety + rules; }
};

class CompletionRewards {
 public:
  // Loads the reward model and compiles the packs and regexes; throws naming the key at fault.
  explicit CompletionRewards(const RewardTerms& terms);
  ~CompletionRewards();

  // answers[i] answers *prompts[i] in completion_tokens[i] tokens.
  std::vector<CompletionReward> score(const std::vector<const PromptRecord*>& prompts,
                                      const std::vector<std::string>& answers,
                                      const std::vector<std::int64_t>& completion_tokens);
  bool has_reward_model() const { return rm_.has_value(); }

 private:
  double safety_term(const FilterResult& r) const;

  RewardTerms terms_;
  std::optional<LoadedScoreModel> rm_;
  FilterEngine filters_;
  std::unique_ptr<re2::RE2> must_, must_not_;
};

}  // namespace chosei
