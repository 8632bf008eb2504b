#include "model/activation_checkpoint.h"

#include <ATen/core/ivalue.h>

#include <mutex>

namespace chosei {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct BlockHolder : torch::CustomClassHolder {
  explicit BlockHolder(CheckpointedBlock b) : block(std::move(b)) {}
  CheckpointedBlock block;
};

at::Generator default_generator(const torch::Device& device) {
  return at::globalContext().defaultGenerator(device);
}

torch::Tensor generator_state(const torch::Device& device) {
  auto generator = default_generator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  auto generator = default_generator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input,
                               const CheckpointedBlock* block) {
    ctx->saved_data["block"] = c10::IValue::make_capsule(c10::make_intrusive<BlockHolder>(*block));
    ctx->saved_data["rng"] = generator_state(input.device());
    ctx->save_for_backward({input});
    // Autograd Functions run forward with recording off, but the model takes its inference
    // paths (cached fused weights, matrix-vector kernels) when it is off: run the block as
    // training runs it, and drop its graph with the detach.
    torch::AutoGradMode recording(true);
    return (*block)(input.detach()).detach();
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto input = ctx->get_saved_variables()[0];
    const auto holder =
        c10::static_intrusive_pointer_cast<BlockHolder>(ctx->saved_data["block"].toCapsule());
    const auto device = input.device();
    const auto resume = generator_state(device);
    set_generator_state(device, ctx->saved_data["rng"].toTensor());
    auto x = input.detach().requires_grad_(true);
    {
      torch::AutoGradMode recording(true);
      auto output = holder->block(x);
      torch::autograd::backward({output}, {grad_outputs[0]});
    }
    set_generator_state(device, resume);
    return {x.grad(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed(const CheckpointedBlock& block, const torch::Tensor& input) {
  if (!torch::GradMode::is_enabled()) return block(input);
  // A frozen embedding's output (LoRA) needs no gradient, yet the blocks' adapters do: the
  // block must still be part of the graph (PEFT's enable_input_require_grads, for the same
  // reason).
  if (!input.requires_grad())
    return CheckpointFunction::apply(input.detach().requires_grad_(true), &block);
  return CheckpointFunction::apply(input, &block);
}

}  // namespace chosei
