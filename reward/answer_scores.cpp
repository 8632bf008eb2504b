#include "reward/answer_scores.h"

#include <algorithm>
#include <stdexcept>

#include "datasets/preference_example.h"
#include "reward/pair_scores.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

std::vector<double> score_answers(LoadedScoreModel& rm,
                                  const std::vector<const PromptRecord*>& prompts,
                                  const std::vector<std::string>& answers) {
  if (prompts.size() != answers.size())
    throw std::invalid_argument("score_answers: " + std::to_string(answers.size()) +
                                " answers for " + std::to_string(prompts.size()) + " prompts");
  auto tmpl = choose_chat_template(rm.tokenizer.config);
  const auto limit = static_cast<std::size_t>(rm.model->config().max_position_embeddings);
  std::vector<PromptAnswerIds> seqs;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const auto& p = *prompts[i];
    auto s =
        tokenize_prompt_answer(p.text_prompt, p.turns, {{"assistant", answers[i], std::nullopt}},
                               *rm.tokenizer.tokenizer, tmpl, "prompt " + p.id);
    if (s.ids.size() > limit) s.ids.resize(limit);
    seqs.push_back(std::move(s));
  }
  ScoringOptions so;
  so.capacity = limit;
  so.pad_id = std::max<TokenId>(0, rm.tokenizer.tokenizer->eos_id());
  return score_sequences(rm.model, seqs, so);
}

double normalized_reward(const LoadedScoreModel& rm, double score) {
  if (!rm.reward_mean || !rm.reward_std || *rm.reward_std <= 0) return score;
  return (score - *rm.reward_mean) / *rm.reward_std;
}

}  // namespace chosei
