#pragma once
// The classifier rules' runtime: a classifier directory (as `classifier train` writes it)
// behind filters/text_classifier.h. A text is tokenized as raw text (the policy of
// datasets/classification_data.h), cut to the model's context, and scored in one forward
// pass on the calling thread; calls from several threads are serialized per model.

#include <memory>
#include <string>

#include "filters/text_classifier.h"

namespace chosei {

std::shared_ptr<const TextClassifier> load_sequence_text_classifier(const std::string& dir);

// Installs load_sequence_text_classifier as the loader of classifier rules.
void install_classifier_runtime();

}  // namespace chosei
