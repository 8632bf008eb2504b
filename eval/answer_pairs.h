#pragma once
// Items for a labeling session generated from prompts: every prompt answered by two models
// (a by the first, b by the second), or by one model sampled twice with different seeds,
// `samples` pairs per prompt, decoded in batches. Each answer keeps its provenance: the
// model's name, its seed and the sampling settings.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/precision.h"
#include "datasets/prompt_reader.h"
#include "labeling/label_store.h"

namespace chosei {

struct AnswerPairOptions {
  std::vector<std::pair<std::string, std::string>> models;  // (name, directory): one or two
  int samples = 1;                                          // pairs per prompt
  double temperature = 0.8, top_p = 0.95;
  std::int64_t max_new_tokens = 256, max_batch = 8;
  std::uint64_t seed = 0;
  Precision precision = Precision::kFP32;
};

struct AnswerPairs {
  std::vector<LabelItemInput> items;
  std::size_t identical = 0;  // pairs left out because both answers were the same text
  std::size_t empty = 0;      // pairs left out because an answer was empty (nothing to judge)
};

// Throws std::invalid_argument for a bad combination (no model, three models, one model
// at temperature 0, which would answer the same twice).
AnswerPairs generate_answer_pairs(const std::vector<PromptRecord>& prompts,
                                  const AnswerPairOptions& options);

}  // namespace chosei
