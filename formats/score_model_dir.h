#pragma once
// Score-model directories: a reward model or classifier saved as Hugging Face writes a
// LlamaForSequenceClassification (config.json with "architectures", "num_labels",
// "id2label", "pad_token_id"; model.safetensors with "model.*" and "score.weight"), so
// transformers' AutoModelForSequenceClassification reads it.
//
// load_score_model_dir accepts three kinds of directory:
//   - a sequence-classification model (as above);
//   - a causal LM: its backbone, its lm_head dropped, the score head initialized;
//   - a PEFT adapter (task_type SEQ_CLS, "score" in modules_to_save) over either.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "formats/model_dir.h"
#include "model/sequence_classifier.h"

namespace chosei {

struct LoadedScoreModel {
  std::string dir;
  LlamaForSequenceClassification model{nullptr};
  LoadedTokenizer tokenizer;
  std::string generation_config_json;
  DType stored_dtype = DType::F32;  // as LoadedModel's
  // Saved by `reward train` from the eval set (OpenRLHF's normalization): scores can be
  // reported as (r - mean) / std.
  std::optional<double> reward_mean, reward_std;
  bool head_initialized = false;  // loaded from a causal LM: the head is untrained
  nlohmann::json config_extra = nlohmann::json::object();  // id2label and the like, as read
};

bool is_score_model_dir(const std::string& dir);

// `num_labels` and `seed` apply when the head is new (a causal LM directory).
LoadedScoreModel load_score_model_dir(const std::string& dir, std::int64_t num_labels = 1,
                                      std::uint64_t seed = 0);

// `adapter_dir` (a PEFT adapter: LoRA and the score head in modules_to_save) attached,
// unmerged, to the score model or causal LM in `base_dir`.
LoadedScoreModel load_score_model_with_adapter(const std::string& base_dir,
                                               const std::string& adapter_dir);

// reward_normalization.json beside an adapter (full models keep the numbers in config.json).
void write_reward_normalization(const std::string& dir, const LoadedScoreModel& m);

// A score model on a loaded causal LM's backbone (its tokenizer and generation config moved
// over).
LoadedScoreModel score_model_from_causal_lm(LoadedModel&& lm, std::int64_t num_labels,
                                            std::uint64_t seed);

// Writes config.json (with `extra` merged in last), the weights, the tokenizer and
// generation_config.json, each atomically.
void save_score_model_dir(const std::string& dir, const LoadedScoreModel& m,
                          const nlohmann::json& extra = nlohmann::json::object(),
                          DType dtype = DType::F32);

}  // namespace chosei
