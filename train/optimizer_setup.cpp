#include "train/optimizer_setup.h"

namespace chosei {

bool is_decayed(const std::string& name) {
  return name.find("bias") == std::string::npos && name.find("norm") == std::string::npos;
}

std::unique_ptr<torch::optim::AdamW> make_adamw(const NamedParameters& params,
                                                const AdamWSettings& s) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& [name, p] : params) (is_decayed(name) ? decay : no_decay).push_back(p);
  auto options = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(s.lr).betas({s.beta1, s.beta2}).eps(s.eps).weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty()) groups.emplace_back(decay, options(s.weight_decay));
  if (!no_decay.empty()) groups.emplace_back(no_decay, options(0.0));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(s.lr));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& g : optimizer.param_groups())
    static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

}  // namespace chosei
