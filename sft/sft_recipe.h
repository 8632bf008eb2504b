#pragma once
// The supervised fine-tuning and continued-pretraining recipes:
//   chosei sft --config run.json --set model=DIR --set train=FILE [--set eval=FILE] --set out=DIR
//   ... chosei pretrain --config run.json --set model=DIR --set train=FILE... --set out=DIR ...
// Load the model, make sure its tokenizer has the chat template's tokens (adding them and
// resizing the embeddings when not), tokenize with assistant-only labels (SFT) or all
// tokens (pretraining), train on the shared TrainingLoop (sft/language_modeling_task.h), and write
// the run directory.

#include "train/run_config.h"

namespace chosei {

// Returns the final evaluation loss (NaN without an eval set).
double run_sft(const RecipeArgs& args);
double run_pretrain(const RecipeArgs& args);

}  // namespace chosei
