#pragma once
// What `chosei data validate` and `chosei data stats` report, as JSON and as text: the
// validation findings, and a dataset's examples, roles and token lengths as training would
// see them (the chat template's rendering, labeled tokens exactly as fine-tuning labels
// them: assistant turns with weight 0 are not counted).

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "datasets/chat_validation.h"
#include "datasets/length_stats.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/conversation.h"

namespace chosei {

nlohmann::ordered_json distribution_json(const Distribution& d);

nlohmann::ordered_json validation_json(const ValidationReport& r, const std::string& file,
                                       bool with_tokens);
std::string validation_text(const ValidationReport& r, bool with_tokens);

struct DatasetStats {
  std::int64_t examples = 0, over_max_seq_len = 0, max_seq_len = 0;
  std::map<std::string, std::int64_t> roles;
  std::vector<std::int64_t> lengths, labeled, turns;  // per example
  std::string chat_template;
  std::vector<std::string> added_tokens;  // chat tokens fine-tuning would add to the tokenizer
};

DatasetStats dataset_stats(const std::vector<Conversation>& conversations,
                           const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                           std::int64_t max_seq_len);
nlohmann::ordered_json stats_json(const DatasetStats& s);
std::string stats_text(const DatasetStats& s);

}  // namespace chosei
