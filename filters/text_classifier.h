#pragma once
// A learned text classifier as the filter engine sees it: labels, a probability per label
// for a text, and the thresholds chosen for it when it was trained. The engine (layer 1)
// knows no LibTorch; the implementation (classifier/classifier_runtime, a sequence
// classifier on the shared backbone) is registered by the program that links it, and
// `classifier` rules load their model directory through it.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chosei {

class TextClassifier {
 public:
  virtual ~TextClassifier() = default;
  virtual const std::vector<std::string>& labels() const = 0;
  // The probability of each label, in labels() order. Safe to call from several threads.
  virtual std::vector<double> probabilities(std::string_view text) const = 0;
  // The probabilities of `text` as the answer to `context` (a user message). A model that
  // knows no conversations ignores the context.
  virtual std::vector<double> probabilities(std::string_view text, std::string_view context) const {
    (void)context;
    return probabilities(text);
  }
  // The decision threshold saved with the model for each label (absent: 0.5).
  virtual std::map<std::string, double> thresholds() const = 0;
};

using TextClassifierLoader =
    std::function<std::shared_ptr<const TextClassifier>(const std::string& model_dir)>;

// Installs the loader `classifier` rules use (the CLI installs the LibTorch one at start).
void set_text_classifier_loader(TextClassifierLoader loader);
bool has_text_classifier_loader();

// The classifier in `model_dir`, loaded once per directory and shared. Throws
// std::runtime_error when no loader is installed or the directory does not load.
std::shared_ptr<const TextClassifier> load_text_classifier(const std::string& model_dir);

}  // namespace chosei
