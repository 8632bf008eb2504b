#pragma once
// A reward model's score of generated answers, each read in its conversation (the prompt it
// answers, raw or through the RM's chat template, as the RM was trained): what `eval
// --judge` compares and what online alignment (align/) rewards.

#include <string>
#include <vector>

#include "datasets/prompt_reader.h"
#include "formats/score_model_dir.h"

namespace chosei {

// answers[i] answers *prompts[i]. A sequence longer than the RM's context is judged by its
// start.
std::vector<double> score_answers(LoadedScoreModel& rm,
                                  const std::vector<const PromptRecord*>& prompts,
                                  const std::vector<std::string>& answers);

// (score − mean) / std with the mean and std `reward train` saved from its eval set
// (OpenRLHF's normalization); the score itself when the model has none.
double normalized_reward(const LoadedScoreModel& rm, double score);

}  // namespace chosei
