#include "datasets/cleaning_report.h"

#include <memory>

#include "datasets/safety_screen.h"
#include "filters/rule_pack.h"

namespace chosei {

using nlohmann::ordered_json;

namespace {

std::unique_ptr<FilterEngine> engine_of(bool enabled, const std::vector<std::string>& packs) {
  if (!enabled) return nullptr;
  return std::make_unique<FilterEngine>(load_rule_packs(packs));
}

}  // namespace

CleaningOutcome clean_dataset(std::vector<Conversation> conversations,
                              const CleaningSettings& settings) {
  CleaningOutcome out;
  ordered_json dropped = ordered_json::array();
  auto redactor = engine_of(settings.redact_pii, {"pii", "secrets"});
  const std::vector<std::string> unsafe_packs =
      settings.unsafe_packs.empty() ? std::vector<std::string>{"prompt_injection", "harmful"}
                                    : settings.unsafe_packs;
  auto blocker = engine_of(settings.drop_unsafe, unsafe_packs);
  auto screen = screen_conversations(conversations, redactor.get(), blocker.get());
  std::vector<Conversation> candidates;
  for (std::size_t i = 0; i < conversations.size(); ++i) {
    if (!screen.drop[i]) {
      candidates.push_back(std::move(conversations[i]));
      continue;
    }
    ++out.reasons["unsafe"];
    dropped.push_back(
        {{"line", conversations[i].line}, {"reason", "unsafe"}, {"rule", screen.drop_rule[i]}});
  }
  out.redacted_conversations = screen.redacted_conversations;
  auto cleaned = clean_conversations(candidates, settings.clean);
  for (auto i : cleaned.kept) out.kept.push_back(candidates[i]);
  for (const auto& d : cleaned.dropped) {
    ++out.reasons[d.reason];
    ordered_json j = {{"line", d.line}, {"reason", d.reason}};
    if (d.duplicate_of_line)
      j["duplicate_of_line"] = d.duplicate_of_line, j["similarity"] = d.similarity;
    dropped.push_back(j);
  }
  out.report = {
      {"examples", conversations.size()},
      {"kept", out.kept.size()},
      {"dropped", dropped.size()},
      {"redactions",
       {{"conversations", screen.redacted_conversations}, {"by_rule", screen.redactions}}},
      {"reasons", out.reasons},
      {"dropped_examples", dropped}};
  return out;
}

}  // namespace chosei
