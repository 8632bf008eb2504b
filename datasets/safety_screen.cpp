#include "datasets/safety_screen.h"

namespace chosei {

SafetyScreenResult screen_conversations(std::vector<Conversation>& conversations,
                                        const FilterEngine* redactor, const FilterEngine* blocker) {
  SafetyScreenResult r;
  r.drop.assign(conversations.size(), false);
  r.drop_rule.assign(conversations.size(), "");
  for (std::size_t i = 0; i < conversations.size(); ++i) {
    auto& c = conversations[i];
    std::string prompt;  // an assistant turn is judged as the answer to the last user turn
    for (const auto& t : c.turns) {
      if (!blocker) break;
      const bool answer = t.role == "assistant";
      auto result = answer ? blocker->check(t.content, FilterDirection::kOutput, prompt)
                           : blocker->check(t.content, FilterDirection::kInput);
      if (t.role == "user") prompt = t.content;
      if (result.decision != FilterDecision::kBlock) continue;
      r.drop[i] = true;
      for (const auto& m : result.matches)
        if (m.action == FilterAction::kBlock) {
          r.drop_rule[i] = m.rule;
          break;
        }
      break;
    }
    if (r.drop[i] || !redactor) continue;
    bool changed = false;
    for (auto& t : c.turns) {
      auto result = redactor->check(t.content, FilterDirection::kInput);
      if (result.decision != FilterDecision::kRedact) continue;
      for (const auto& m : result.matches)
        if (m.action == FilterAction::kRedact) ++r.redactions[m.rule];
      t.content = result.redacted;
      changed = true;
    }
    r.redacted_conversations += changed;
  }
  return r;
}

}  // namespace chosei
