#pragma once
// `chosei align --set method=dpo|cdpo|robust|ipo|hinge|simpo|orpo|kto ...`: moves a
// fine-tuned model toward the preferred answers of preference pairs (KTO: toward desirable
// and away from undesirable completions, from KTO records or pairs). The run keys of `sft` (model,
// train, eval, out, max_steps, batch_size, learning_rate, max_seq_len, lora.*, precision,
// save_every, resume_from, ...) plus beta, label_smoothing, gamma, sft_weight,
// desirable_weight and undesirable_weight (KTO), reference (a
// model directory; default the starting model) and reference_cache (default
// OUT/reference_logps). The reference's log-probabilities are computed once, before
// training, and cached (align/reference_logps.h); with LoRA they come from the base before
// the adapters exist, so the reference is the base with adapters disabled, without a second
// copy in memory.

#include "train/run_config.h"

namespace chosei {

// Returns the final evaluation loss (NaN without an eval set).
double run_align(const RecipeArgs& args);

}  // namespace chosei
