#include "classifier/classification_loss.h"

#include <stdexcept>

namespace chosei {

ClassificationProblem parse_classification_problem(const std::string& name) {
  if (name == "multi_label" || name == "multi_label_classification")
    return ClassificationProblem::kMultiLabel;
  if (name == "single_label" || name == "single_label_classification")
    return ClassificationProblem::kSingleLabel;
  throw std::invalid_argument("problem_type \"" + name + "\" is not multi_label or single_label");
}

const char* to_string(ClassificationProblem p) {
  return p == ClassificationProblem::kMultiLabel ? "multi_label_classification"
                                                 : "single_label_classification";
}

ClassificationLoss classification_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                       ClassificationProblem problem) {
  ClassificationLoss out;
  const auto z = logits.to(torch::kFloat);
  const bool multi = problem == ClassificationProblem::kMultiLabel;
  const auto y = multi ? targets.to(torch::kFloat) : targets;
  out.sum = multi ? (torch::clamp_min(z, 0) - z * y + torch::log1p(torch::exp(-z.abs()))).sum()
                  : -torch::log_softmax(z, 1).gather(1, y.unsqueeze(1)).sum();
  torch::NoGradGuard no_grad;  // the count of right answers is a metric, not part of the graph
  out.correct = multi ? ((z > 0).to(torch::kFloat) == y).all(1).sum().item<double>()
                      : (z.argmax(1) == y).sum().item<double>();
  return out;
}

torch::Tensor classification_probabilities(const torch::Tensor& logits,
                                           ClassificationProblem problem) {
  const auto z = logits.to(torch::kFloat);
  return problem == ClassificationProblem::kMultiLabel ? torch::sigmoid(z) : torch::softmax(z, -1);
}

}  // namespace chosei
