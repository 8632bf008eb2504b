#pragma once
// Scores of a reward model over tokenized pairs or single sequences, without gradients, in
// batches: what evaluation, `reward eval` and `reward score` read.

#include <vector>

#include "datasets/preference_example.h"
#include "model/sequence_classifier.h"

namespace chosei {

struct PairScores {
  std::vector<double> chosen, rejected;  // one per example, in order
};

struct ScoringOptions {
  std::size_t pairs_per_batch = 16;
  std::size_t capacity = 512;  // tokens per packed row
  bool pack = true;
  TokenId pad_id = 0;
};

PairScores score_pairs(LlamaForSequenceClassification& model,
                       const std::vector<PreferenceExample>& examples,
                       const ScoringOptions& options);

// The first label's score of each sequence.
std::vector<double> score_sequences(LlamaForSequenceClassification& model,
                                    const std::vector<PromptAnswerIds>& sequences,
                                    const ScoringOptions& options);

}  // namespace chosei
