#pragma once
// Preference data in chosei's internal form, whatever file it came from (TRL, OpenAI DPO,
// HH-RLHF transcripts, LLaMA-Factory, turbo-alignment, KTO).
//
// Two kinds of text, as TRL has them: raw strings ("prompt": "Once upon a time") are
// completed without a chat template (prompt + answer + EOS), and message lists go through
// the model's chat template. A raw prompt is held as one user turn and a raw answer as one
// assistant turn, with `raw` set.

#include <optional>
#include <string>
#include <vector>

#include "tokenizer/conversation.h"

namespace chosei {

// Two answers to the same prompt, one preferred.
struct PreferencePair {
  bool raw = false;
  std::vector<Turn> prompt;            // the conversation the answers continue (may be empty)
  std::vector<Turn> chosen, rejected;  // the answers: assistant turn(s)
  std::optional<double> margin;        // how much better chosen is (Llama 2's margin)
  std::string id;                      // the record's "id" when it has one
  std::string source;
  std::size_t line = 0;
};

// One answer labeled desirable or not (KTO's unpaired data).
struct UnpairedExample {
  bool raw = false;
  std::vector<Turn> prompt;
  std::vector<Turn> completion;
  bool desirable = true;
  std::string id;
  std::string source;
  std::size_t line = 0;
};

// A raw text or the concatenated content of a list of turns.
std::string turns_text(const std::vector<Turn>& turns);

}  // namespace chosei
