#pragma once
// Safety screening of a chat dataset before training, with the filter engine: PII and
// secrets redacted in every turn (the model never learns a customer's card number), and
// conversations that carry blocked content (prompt injection, harmful requests) dropped.

#include <map>
#include <string>
#include <vector>

#include "filters/filter_engine.h"
#include "tokenizer/conversation.h"

namespace chosei {

struct SafetyScreenResult {
  std::vector<bool> drop;                          // per conversation
  std::vector<std::string> drop_rule;              // the first blocking rule, per dropped one
  std::map<std::string, std::int64_t> redactions;  // rule id -> spans redacted
  std::int64_t redacted_conversations = 0;
};

// `redactor`: null or the engine whose redact rules rewrite turns in place (input direction).
// `blocker`: null or the engine whose block decisions drop a conversation (user and system
// turns checked as input, assistant turns as output after the user turn they answer).
SafetyScreenResult screen_conversations(std::vector<Conversation>& conversations,
                                        const FilterEngine* redactor, const FilterEngine* blocker);

}  // namespace chosei
