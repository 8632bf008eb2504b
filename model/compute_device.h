#pragma once
// Where a model computes (`--device`, the run key `device`): "cpu", or "cuda" / "cuda:N"
// when LibTorch was built with CUDA and sees a GPU. On the CPU, decoding runs on the decode
// engine (model/decode_engine.h); on a GPU every pass runs through LibTorch's kernels
// (cuBLAS), the KV cache and the activations living on the device.

#include <torch/torch.h>

#include <string>

namespace chosei {

// Throws std::invalid_argument naming the value and why it cannot be used: not a device
// name, no CUDA in this LibTorch build or no visible GPU, or an index past the GPUs there.
torch::Device parse_compute_device(const std::string& name);

// The device of `module`'s first parameter; the CPU for a module without parameters.
torch::Device module_device(const torch::nn::Module& module);

}  // namespace chosei
