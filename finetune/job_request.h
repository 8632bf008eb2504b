#pragma once
// A fine-tuning job as requested through POST /v1/fine_tuning/jobs, checked field by field
// (../shared/reference/openai_finetuning_api.md), its "auto" hyperparameters resolved once
// the training file is known, and the recipe command that trains it:
//   supervised -> chosei sft, dpo -> chosei align with method dpo.
// The learning rate is the recipe's (1e-4) times learning_rate_multiplier; n_epochs "auto"
// follows OpenAI's data-prep notebook (datasets/chat_validation.h default_epochs); batch_size
// "auto" is 0.2% of the examples within 1..256, as OpenAI's documentation describes it.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace chosei {

// A field the request got wrong: the message names it and the value; `param` is the path
// OpenAI's errors carry ("method.dpo.hyperparameters.beta").
class JobRequestError : public std::invalid_argument {
 public:
  JobRequestError(const std::string& message, std::string param)
      : std::invalid_argument(message), param(std::move(param)) {}
  std::string param;
};

// The checked request: model, training_file, validation_file, suffix, seed (generated when
// absent), metadata, integrations, and method {type, <type>: {hyperparameters}} (the
// deprecated top-level hyperparameters folded into a supervised method).
nlohmann::json parse_job_request(const nlohmann::json& body);

// The method's hyperparameters with every "auto" replaced by the value used.
nlohmann::json resolve_hyperparameters(const nlohmann::json& method, std::int64_t examples);

inline constexpr double kRecipeLearningRate = 1e-4;

struct RecipeCommand {
  std::string base_dir, training_file, validation_file, run_dir;
  nlohmann::json method;  // resolved
  std::int64_t seed = 0, examples = 0;
  // The server operator's run keys for every job (`chosei serve --job-set key=value`:
  // precision, lora.*, max_seq_len, packing ...), after the job's own.
  std::vector<std::string> operator_settings;
};

// Refuses an operator setting that is not key=value or that names a key the job itself
// decides (model, data, output, schedule, method): those come from the request.
void check_operator_setting(const std::string& setting);

// The arguments after the program name: "sft" or "align" and its --set keys. The run
// resumes from its latest checkpoint when it has one (resume_from=auto), so the same command
// restarts an interrupted job.
std::vector<std::string> recipe_arguments(const RecipeCommand& command);

// "ft:{base}:{organization}:{suffix}:{id}"; a fine-tuned base contributes its own base.
std::string fine_tuned_model_name(const std::string& base, const std::string& organization,
                                  const std::string& suffix, const std::string& id);

}  // namespace chosei
