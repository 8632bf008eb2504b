#include "model/decoding_placement.h"

#include <stdexcept>

#include "model/compute_device.h"

namespace chosei {

void place_for_decoding(LlamaForCausalLMImpl& model, const DecodingPlacement& placement) {
  const auto device = parse_compute_device(placement.device);
  model.set_kv_cache_type(parse_kv_cache_type(placement.kv_cache));
  if (device.is_cpu()) {
    if (!placement.weights.empty()) model.decode_with(parse_weight_type(placement.weights));
    return;
  }
  const auto weights =
      placement.weights.empty() ? model.decode_weights() : parse_weight_type(placement.weights);
  if (weights == WeightType::kQ8_0)
    throw std::invalid_argument("--weights q8_0 packs weights for the CPU's decode engine; on " +
                                placement.device + " decode with --weights bf16 or f32");
  if (weights == WeightType::kBF16) model.set_precision(Precision::kBF16);
  if (weights == WeightType::kF32) model.set_precision(Precision::kFP32);
  model.to(device);
}

}  // namespace chosei
