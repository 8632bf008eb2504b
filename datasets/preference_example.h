#pragma once
// Tokenizes preference pairs as the anchors do it right (TRL's DPO/reward collators,
// OpenRLHF): for message lists the prompt alone (with the generation prompt) and prompt +
// answer are rendered through the chat template and the prompt ids are checked to be a
// prefix of the whole; raw strings are the prompt encoded with the tokenizer's special
// tokens, then the answer without them, then EOS. No duplicate BOS; the sequence ends at
// the answer's one end-of-turn token (the template's separator after it is dropped), where a
// reward model reads its score.
//
// Pairs whose prompt alone fills max_seq_len, or whose longer side exceeds it, are dropped
// and counted (TRL drops too-long pairs; truncating would score a cut-off answer).

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/preference_pair.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

// A prompt followed by one answer, as token ids.
struct PromptAnswerIds {
  std::vector<TokenId> ids;
  std::size_t prompt_tokens = 0;  // ids[0, prompt_tokens) are the prompt
  std::size_t answer_tokens() const { return ids.size() - prompt_tokens; }
};

struct PreferenceExample {
  PromptAnswerIds chosen, rejected;
  double margin = 0;
  std::size_t pair = 0;  // index of the pair it came from
};

struct PreferenceTokenizeReport {
  std::int64_t kept = 0, dropped_too_long = 0, dropped_prompt_too_long = 0;
};

// Where a templated answer's ids end.
enum class AnswerEnd {
  // The whole rendering, the separator after the end-of-turn token included: as TRL's
  // DPOTrainer and RewardTrainer tokenize a pair, and where transformers' sequence
  // classification reads a score (the last non-padding token).
  kWholeRendering,
  // At the answer's end-of-turn token: the classifiers' reading (the shipped safety-small
  // was trained on it).
  kEndOfTurn,
};

// Throws std::runtime_error at the pair's file:line when the template does not render the
// prompt as a prefix of prompt + answer.
PromptAnswerIds tokenize_prompt_answer(bool raw, const std::vector<Turn>& prompt,
                                       const std::vector<Turn>& answer, const Tokenizer& tokenizer,
                                       const ChatTemplate& tmpl, const std::string& where,
                                       AnswerEnd end = AnswerEnd::kWholeRendering);

std::vector<PreferenceExample> tokenize_preference_pairs(const std::vector<PreferencePair>& pairs,
                                                         const Tokenizer& tokenizer,
                                                         const ChatTemplate& tmpl,
                                                         std::int64_t max_seq_len,
                                                         PreferenceTokenizeReport* report);

}  // namespace chosei
