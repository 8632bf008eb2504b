#pragma once
// The checks an uploaded fine-tuning file gets before it is marked processed: first what
// makes it no training data at all (NUL bytes, invalid UTF-8, a line over the length limit, a
// line that is not a JSON object), then `chosei data validate`'s checks for its kind: chat
// (OpenAI's data-prep notebook, datasets/chat_validation.h) or preference pairs
// (datasets/preference_report.h), and OpenAI's minimum of 10 examples. Findings name the
// upload's file name and line, as the CLI's do.

#include <cstdint>
#include <string>

#include "finetune/file_store.h"

namespace chosei {

struct UploadCheckOptions {
  std::int64_t max_line_bytes = 8 << 20;
  std::int64_t min_examples = 10;
  std::size_t max_findings = 20;  // listed in status_details; the count is always given
};

// `path`: the stored content; `filename`: the name findings use.
FileFacts check_upload(const std::string& path, const std::string& filename,
                       const UploadCheckOptions& options = {});

}  // namespace chosei
