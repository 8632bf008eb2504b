#pragma once
// `chosei reward train [--config run.json] [--set key=value]...`: a reward model learned
// from preference pairs. The run keys of `sft` (model, train, eval, out, max_steps,
// learning_rate, batch_size — pairs per micro-batch —, max_seq_len, lora.*, precision,
// save_every, resume_from, ...) plus center_rewards (eta), data.from and
// data.skip_invalid. `model` is a causal LM (its head replaced by a new score head), a
// reward model to train further, or an adapter over one. out/final/ is the reward model:
// an HF LlamaForSequenceClassification directory, or with LoRA a PEFT adapter holding the
// score head; reward mean/std of the eval set are saved with it.

#include "train/run_config.h"

namespace chosei {

// Returns the final evaluation accuracy (NaN without an eval set).
double run_reward_train(const RecipeArgs& args);

}  // namespace chosei
