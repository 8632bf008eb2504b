#pragma once
// Precision of forward (and backward) computation. Weights stay fp32 (the master copy);
// under kBF16 the matrix multiplications run in bfloat16 and their results return to fp32
// for the residual stream, normalization and softmax.

#include <string>

namespace chosei {

enum class Precision { kFP32, kBF16 };

// Parses "fp32", "bf16" or "auto" (bf16 where the CPU computes it in hardware, AMX or
// AVX512-BF16, else fp32: base/cpu_features.h); throws std::invalid_argument otherwise.
Precision parse_precision(const std::string& name);
std::string precision_name(Precision precision);

}  // namespace chosei
