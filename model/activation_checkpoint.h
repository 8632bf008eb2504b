#pragma once
// Activation (gradient) checkpointing (Chen et al. 2016, arXiv 1604.06174, sec. 3): a block
// runs forward without keeping its intermediate activations; the backward pass runs it again
// from its saved input and back-propagates through that recomputation, as PyTorch's
// torch.utils.checkpoint (reentrant) does. A block's memory falls to its input, for one more
// forward of compute. Parameters the block reads get their gradients during the inner pass;
// the random generator is restored for the recomputation, so dropout masks repeat.

#include <torch/torch.h>

#include <functional>

namespace chosei {

using CheckpointedBlock = std::function<torch::Tensor(const torch::Tensor&)>;

// `block(input)`, recomputed in the backward pass. The block may read tensors it captured
// (positions, masks) but must not need their gradients; its output depends on `input` and
// on parameters only.
torch::Tensor checkpointed(const CheckpointedBlock& block, const torch::Tensor& input);

}  // namespace chosei
