#pragma once
// What `chosei data clean` does to a dataset, in one call: the safety screen (PII and
// secrets redacted, unsafe conversations dropped) then cleaning (duplicates, near
// duplicates, repetition, symbols, length), with the report of every dropped line and why.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "datasets/data_cleaner.h"
#include "tokenizer/conversation.h"

namespace chosei {

struct CleaningSettings {
  CleanOptions clean;
  bool redact_pii = false;   // built-in pii and secrets packs
  bool drop_unsafe = false;  // with unsafe_packs
  // The packs whose blocks drop a conversation (names, files or folders); empty: the built-in
  // prompt_injection and harmful packs.
  std::vector<std::string> unsafe_packs;
};

struct CleaningOutcome {
  std::vector<Conversation> kept;
  std::map<std::string, std::int64_t> reasons;  // reason -> conversations dropped
  std::int64_t redacted_conversations = 0;
  nlohmann::ordered_json report;  // input/output names are added by the caller
};

// `conversations` is consumed (redaction rewrites turns).
CleaningOutcome clean_dataset(std::vector<Conversation> conversations,
                              const CleaningSettings& settings);

}  // namespace chosei
