#pragma once
// `chosei data validate|stats` for preference files: every record read (reader errors at
// file:line), then per pair the problems training would trip over. Errors: identical chosen
// and rejected (no signal), an empty answer. Warnings: no prompt. With a tokenizer: pairs
// whose prompt alone reaches max_seq_len and pairs over the limit, counted and described
// with what training does to them (dropped, as TRL does), and token-length distributions
// of prompts and answers.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "datasets/length_stats.h"
#include "datasets/preference_reader.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

struct PreferenceReportOptions {
  std::string from = "auto";
  const Tokenizer* tokenizer = nullptr;  // with `tmpl`: token counts and length checks
  const ChatTemplate* tmpl = nullptr;
  std::int64_t max_seq_len = 4096;
};

struct [[nodiscard]] PreferenceReport {
  std::int64_t pairs = 0, unpaired = 0, raw = 0, chat = 0, desirable = 0;
  std::map<std::string, std::size_t> formats;
  std::vector<DataError> errors, warnings;
  std::map<std::string, std::int64_t> error_counts, warning_counts;
  bool tokenized = false;
  std::int64_t over_limit = 0, prompt_over_limit = 0;
  Distribution prompt_tokens, chosen_tokens, rejected_tokens;
  bool ok() const { return errors.empty(); }
};

PreferenceReport preference_report(const std::string& path, const PreferenceReportOptions& options);

nlohmann::ordered_json preference_report_json(const PreferenceReport& report,
                                              const std::string& path, std::int64_t max_seq_len);
std::string preference_report_text(const PreferenceReport& report, std::int64_t max_seq_len);

}  // namespace chosei
