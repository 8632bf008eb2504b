#pragma once
// Writes preference data as JSONL in one of the formats chosei reads:
//   openai-dpo  {"input": {"messages"}, "preferred_output", "non_preferred_output"}
//   trl         {"prompt", "chosen", "rejected", "margin"?}: strings for raw text, message
//               lists for chat (TRL's standard and conversational forms)
//   kto         {"prompt", "completion", "label"}: each pair becomes a desirable and an
//               undesirable line; unpaired examples are kept
// Pairs formats cannot hold unpaired (KTO) examples: that is an error, not a silent drop.
// "id" is kept. The file is written atomically.

#include <string>

#include "datasets/preference_reader.h"

namespace chosei {

// Returns the number of lines written.
std::size_t write_preference_jsonl(const std::string& path, const PreferenceDataset& data,
                                   const std::string& format);

}  // namespace chosei
