#pragma once
// Held-out metrics of a sequence-level task: its loss and metric sums over `batches`, each a
// mean over the `units` examples, or over its own "units/" count where the task gives one
// (train/training_task.h), the way the loop logs training means. No gradients; the task is
// put in inference mode and back in training mode.

#include <map>
#include <string>

#include "train/training_task.h"

namespace chosei {

std::map<std::string, double> evaluation_means(TrainingTask& task, const TrainingBatches& batches,
                                               double units);

}  // namespace chosei
