#include "base/precision.h"

#include <stdexcept>

#include "base/cpu_features.h"

namespace chosei {

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFP32;
  if (name == "bf16") return Precision::kBF16;
  if (name == "auto") return cpu_has_fast_bf16() ? Precision::kBF16 : Precision::kFP32;
  throw std::invalid_argument("unknown precision \"" + name + "\" (fp32, bf16 or auto)");
}

std::string precision_name(Precision precision) {
  return precision == Precision::kBF16 ? "bf16" : "fp32";
}

}  // namespace chosei
