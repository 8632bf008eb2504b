#include "model/frozen_linear.h"

#include <stdexcept>

namespace chosei {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class FrozenLinearFunction : public torch::autograd::Function<FrozenLinearFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight) {
    ctx->save_for_backward({weight});
    return torch::matmul(x, weight.to(torch::kFloat32).t());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto weight = ctx->get_saved_variables()[0];
    auto grad_x = torch::matmul(grad_outputs[0], weight.to(torch::kFloat32));
    return {grad_x, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor frozen_linear(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias) {
  if (weight.requires_grad() || (bias.defined() && bias.requires_grad()))
    throw std::logic_error("frozen_linear: the weight is trained; it must stay in fp32");
  if (!torch::GradMode::is_enabled() || !x.requires_grad()) {
    const auto wide_bias = bias.defined() ? bias.to(torch::kFloat32) : bias;
    return torch::nn::functional::linear(x, weight.to(torch::kFloat32), wide_bias);
  }
  // The bias (frozen too) is added outside: autograd Functions take defined tensors only.
  auto y = FrozenLinearFunction::apply(x, weight);
  return bias.defined() ? y + bias.to(torch::kFloat32) : y;
}

}  // namespace chosei
