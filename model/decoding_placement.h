#pragma once
// How a loaded model decodes, one policy for generate, chat and serve: where (`--device`),
// from which weights (`--weights`) and into which KV cache (`--kv-cache`).
//
// On the CPU the decode engine reads f32, packed bf16 or q8_0 weights. On a GPU every pass
// runs through LibTorch: `--weights bf16` computes in bf16 there (cached bf16 weight
// copies, tensor-core GEMMs), and q8_0, a CPU engine format, is refused.

#include <string>

#include "model/llama_model.h"

namespace chosei {

struct DecodingPlacement {
  std::string device = "cpu";    // cpu, cuda, cuda:N (model/compute_device.h)
  std::string weights;           // "" (the precision's), f32, bf16, q8_0
  std::string kv_cache = "f32";  // f32 or f16
};

// Throws std::invalid_argument naming the option and value that cannot be honored.
void place_for_decoding(LlamaForCausalLMImpl& model, const DecodingPlacement& placement);

}  // namespace chosei
