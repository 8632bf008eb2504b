#pragma once
// The losses of a sequence classifier, summed over examples (the training loop divides by
// the examples of the whole accumulated batch), as transformers'
// LlamaForSequenceClassification computes them for its two problem types:
//
//   multi_label_classification (one logit per category, independent):
//     loss_i = sum_c BCE(sigmoid(z_ic), y_ic)
//            = sum_c [ max(z_ic, 0) - z_ic * y_ic + log(1 + exp(-|z_ic|)) ]
//     (binary cross-entropy on logits in its stable form; transformers' BCEWithLogitsLoss
//     takes the mean over N*C, this sum over c then the loop's mean over N is C times it);
//   single_label_classification (one logit per class, the negative class included):
//     loss_i = -log softmax(z_i)[y_i]          (cross-entropy; transformers' CrossEntropyLoss).
//
// Probabilities are sigmoid(z) and softmax(z) respectively.

#include <torch/torch.h>

#include <string>

namespace chosei {

enum class ClassificationProblem { kMultiLabel, kSingleLabel };

ClassificationProblem parse_classification_problem(const std::string& name);
// transformers' config.json spelling: multi_label_classification | single_label_classification.
const char* to_string(ClassificationProblem p);

struct ClassificationLoss {
  torch::Tensor sum;   // scalar, differentiable
  double correct = 0;  // examples whose every label is predicted right (at 0.5 / argmax)
};

// logits (N, C); targets (N, C) float 0/1 (multi-label) or (N) int64 class (single-label).
ClassificationLoss classification_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                       ClassificationProblem problem);

// sigmoid or softmax over the last dimension.
torch::Tensor classification_probabilities(const torch::Tensor& logits,
                                           ClassificationProblem problem);

}  // namespace chosei
