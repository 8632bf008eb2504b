#pragma once
// The classifier rules of a filter engine: each rule's model (filters/text_classifier.h),
// the labels it acts on with their actions and thresholds, and the checkpoints at which a
// growing text is classified. Checking a whole text and streaming it in any chunking run
// the same checkpoints, so they reach the same decision.

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include "filters/filter_engine.h"
#include "filters/text_classifier.h"

namespace chosei {

class ClassifierRules {
 public:
  // `rules`: every rule of the engine; the classifier ones are loaded. Throws RulePackError
  // naming the pack and rule when a model does not load or lacks a label.
  explicit ClassifierRules(const std::vector<FilterRule>& rules);

  std::vector<FilterMatch> classify(std::string_view text, bool at_end, FilterDirection direction,
                                    ClassifierProgress& progress) const;
  std::size_t classified_prefix(std::string_view text, FilterDirection direction,
                                const ClassifierProgress& progress) const;
  bool any(FilterDirection direction) const;
  ClassifierTiming timing() const;

 private:
  struct Category {
    std::size_t label;  // index into the model's labels
    std::string name;
    FilterAction action;
    double threshold;
  };
  struct Rule {
    const FilterRule* rule;
    std::shared_ptr<const TextClassifier> model;
    std::vector<Category> categories;
  };
  void check(const Rule& r, std::string_view text, std::size_t end, ClassifierProgress& progress,
             std::vector<FilterMatch>& out) const;

  std::vector<Rule> rules_;
  mutable std::atomic<std::uint64_t> calls_{0}, nanoseconds_{0};
};

}  // namespace chosei
