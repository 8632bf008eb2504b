#include "base/precision.h"

#include <stdexcept>

namespace chosei {

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFP32;
  if (name == "bf16") return Precision::kBF16;
  throw std::invalid_argument("unknown precision \"" + name + "\" (fp32 or bf16)");
}

std::string precision_name(Precision precision) {
  return precision == Precision::kBF16 ? "bf16" : "fp32";
}

}  // namespace chosei
