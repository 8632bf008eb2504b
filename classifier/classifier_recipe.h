#pragma once
// `chosei classifier train [--config run.json] [--set key=value]...`: a sequence classifier
// learned from labeled texts ({"text"|"messages", "labels"}). The run keys of `reward
// train` (model, train, eval, out, max_steps, epochs, learning_rate, batch_size — texts
// per micro-batch —, max_seq_len, lora.*, precision, save_every, resume_from, ...) plus
//   problem_type    multi_label (default: a sigmoid per category) or single_label
//                   (a softmax over the categories and the negative class);
//   negative_label  the label that means "none of the categories" (default "safe");
//   labels          the categories in head order (default: in order of appearance);
//   target_fpr      the false-positive rate each category's threshold is chosen for on the
//                   eval set (default 0.05; target_fpr_for.<label> for one category); without
//                   an eval set thresholds stay 0.5;
//   data.skip_invalid.
// out/final/ is an HF LlamaForSequenceClassification directory (id2label, problem_type)
// with classifier.json: labels, thresholds, and the eval metrics at them.

#include "train/run_config.h"

namespace chosei {

// Returns the final eval macro-F1 at the chosen thresholds (NaN without an eval set).
double run_classifier_train(const RecipeArgs& args);

}  // namespace chosei
