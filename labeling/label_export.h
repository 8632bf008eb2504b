#pragma once
// A session's labels as training data: the majority decision of each item's annotators
// (an item whose annotators split evenly is dropped and counted), written as TRL pairs
// ({"prompt", "chosen", "rejected"} message lists), OpenAI DPO ({"input": {"messages"},
// "preferred_output", "non_preferred_output"}) or KTO ({"prompt", "completion", "label"}).
// Ties and "both bad" leave pairwise exports; in KTO "both bad" gives two undesirable
// examples, a strong win (most winning votes "much better") a desirable and an undesirable
// one, a plain win the desirable one. Each line carries its provenance: session, item,
// annotators, agreement (the share of annotators who chose the majority). The file is
// written atomically.

#include <cstdint>
#include <map>
#include <string>

#include "labeling/label_store.h"

namespace chosei {

enum class ExportFormat { kTrl, kOpenAiDpo, kKto };
ExportFormat parse_export_format(const std::string& name);  // trl, openai-dpo, kto

struct ExportSummary {
  std::int64_t items = 0, lines = 0;
  std::map<std::string, std::int64_t> left_out;  // reason -> items
};

ExportSummary export_labels(LabelStore& store, std::int64_t session, ExportFormat format,
                            double min_agreement, const std::string& path);

}  // namespace chosei
