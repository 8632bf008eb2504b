#pragma once
// Reads preference data into PreferencePairs (and KTO's unpaired examples), detecting the
// format per record unless `from` names one:
//   trl             {"prompt"?, "chosen", "rejected", "margin"?}: strings (raw text) or
//                   message lists; without "prompt" the shared prefix of chosen and rejected
//                   is the prompt (TRL's implicit-prompt form)
//   openai-dpo      {"input": {"messages"}, "preferred_output", "non_preferred_output"}
//                   (also "preferred_completion" / "non_preferred_completion")
//   hh-rlhf         {"chosen": "\n\nHuman: ...\n\nAssistant: ...", "rejected": ...}: turns split
//                   out, the shared prefix the prompt
//   sharegpt        LLaMA-Factory DPO: {"conversations", "chosen": {from, value}, "rejected"}
//   llamafactory-v1 {"chosen_messages", "rejected_messages"} (content as text parts)
//   llamafactory-kto{"messages", "label": bool}: the last assistant turn is the completion
//   turbo           turbo-alignment {"context", "answer_w", "answer_l"} and KTO
//                   {"context", "answer", "is_desirable"}
//   kto             {"prompt", "completion", "label": bool}
// as JSONL or a JSON array. Every bad record is an error at file:line with a kind.

#include <map>
#include <string>
#include <vector>

#include "datasets/preference_pair.h"

namespace chosei {

struct PreferenceReadOptions {
  std::string from = "auto";
  bool skip_invalid = false;
};

struct PreferenceDataset {
  std::vector<PreferencePair> pairs;
  std::vector<UnpairedExample> unpaired;       // KTO records
  std::vector<DataError> errors;               // filled when skip_invalid
  std::map<std::string, std::size_t> formats;  // records read per detected format
};

// Throws DatasetError (datasets/chat_reader.h) with the bad records unless skip_invalid,
// std::invalid_argument for an unknown `from`.
PreferenceDataset read_preference_dataset(const std::string& path,
                                          const PreferenceReadOptions& options = {});

// The names `from` accepts ("auto" first).
std::vector<std::string> preference_formats();

// Whether the first record of a JSONL or JSON array file is preference data (pairs or
// KTO), so that `data validate|stats|convert` can tell it from chat data.
bool looks_like_preference_file(const std::string& path);

// HH-RLHF's "\n\nHuman: ...\n\nAssistant: ..." transcript as turns. Throws RecordError
// (datasets/message_json.h) when the text has no such markers.
std::vector<Turn> parse_hh_transcript(const std::string& text);

}  // namespace chosei
