#pragma once
// The end every `chosei align` method shares: the run's configuration written beside it,
// LoRA adapters attached when lora.r > 0 (with embed_tokens/lm_head trained whole when the
// vocabulary grew for the chat template), the task trained on the shared loop, and final/
// (model or adapter) and report.html written by rank 0.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "formats/model_dir.h"
#include "model/lora.h"
#include "train/run_config.h"
#include "train/run_settings.h"
#include "train/training_task.h"

namespace chosei {

struct AlignRun {
  std::string out, method;
  RunSettings run;
  std::shared_ptr<LoraConfig> lora;  // null: full fine-tuning
};

// Returns the best evaluation loss (NaN without an eval set).
double train_and_save(RunConfig& cfg, const AlignRun& a, LoadedModel& m, std::int64_t vocab_before,
                      TrainingTask& task, nlohmann::json data_stats);

}  // namespace chosei
