#pragma once
// KTO's examples: one completion per prompt, labeled desirable or not, from KTO records
// ({"prompt", "completion", "label"}, LLaMA-Factory KTO, turbo-alignment) or from pairs
// (the chosen answer desirable, the rejected one not, as TRL's unpairing does). Each example
// also gets a mismatched sequence for the KL reference point: its prompt followed by the
// completion of the next example in its group of `group` consecutive examples (rotated by
// one, trl#1911: reversal fails on odd groups), built once before training as TRL builds
// its KL dataset, truncated to max_seq_len.

#include <vector>

#include "datasets/preference_example.h"
#include "datasets/preference_reader.h"

namespace chosei {

struct KtoExample {
  PromptAnswerIds completion;
  PromptAnswerIds mismatched;
  bool desirable = true;
};

struct KtoTokenizeReport {
  std::int64_t kept = 0, desirable = 0, undesirable = 0, dropped_too_long = 0;
};

std::vector<KtoExample> tokenize_kto_examples(const PreferenceDataset& data,
                                              const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                                              std::int64_t max_seq_len, std::size_t group,
                                              KtoTokenizeReport* report);

// Each example's completion and mismatched sequence as one "pair" (chosen = completion,
// rejected = mismatched), so the reference log-probs and their cache serve KTO unchanged.
std::vector<PreferenceExample> kto_scoring_pairs(const std::vector<KtoExample>& examples);

}  // namespace chosei
