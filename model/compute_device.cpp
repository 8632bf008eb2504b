#include "model/compute_device.h"

#include <stdexcept>

namespace chosei {

namespace {

// "cuda" or "cuda:N" -> N (0 for "cuda"); -1 when `name` names no CUDA device.
int cuda_index(const std::string& name) {
  if (name == "cuda") return 0;
  if (name.rfind("cuda:", 0) != 0 || name.size() == 5) return -1;
  const auto digits = name.substr(5);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4) return -1;
  return std::stoi(digits);
}

}  // namespace

torch::Device parse_compute_device(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  const int index = cuda_index(name);
  if (index < 0)
    throw std::invalid_argument("device \"" + name + "\" is not one of cpu, cuda, cuda:N");
  if (!torch::cuda::is_available())
    throw std::invalid_argument(
        "device \"" + name +
        "\": this chosei's LibTorch has no CUDA support or sees no GPU "
        "(torch::cuda::is_available() is false); build against a CUDA LibTorch or use cpu");
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (index >= count)
    throw std::invalid_argument(
        "device \"" + name + "\": only " + std::to_string(count) +
        " CUDA device(s) visible (cuda:0 to cuda:" + std::to_string(count - 1) + ")");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

torch::Device module_device(const torch::nn::Module& module) {
  for (const auto& p : module.parameters())
    if (p.defined()) return p.device();
  return torch::Device(torch::kCPU);
}

}  // namespace chosei
