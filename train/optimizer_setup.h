#pragma once
// AdamW over named trainable parameters (Loshchilov & Hutter 2017, arXiv 1711.05101,
// Algorithm 2: decoupled weight decay), with the Hugging Face convention of two groups:
// biases and normalization gains are not decayed.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace chosei {

using NamedParameters = std::vector<std::pair<std::string, torch::Tensor>>;

struct AdamWSettings {
  double lr = 1e-4, weight_decay = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

// Whether weight decay (and the L1 penalty) applies to the parameter called `name`.
bool is_decayed(const std::string& name);

std::unique_ptr<torch::optim::AdamW> make_adamw(const NamedParameters& params,
                                                const AdamWSettings& settings);

// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace chosei
