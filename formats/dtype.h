#pragma once
// DType: the element types chosei reads and writes in checkpoint files, named as
// safetensors names them ("F32", "F16", "BF16", ...).

#include <cstddef>
#include <string>

namespace chosei {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

// Bytes per element.
std::size_t dtype_size(DType dtype);
// Canonical safetensors spelling, e.g. "BF16".
std::string dtype_name(DType dtype);
// Parses a safetensors dtype string; throws std::invalid_argument naming it when unknown.
DType dtype_from_name(const std::string& name);
// config.json's "torch_dtype" for weights written in `dtype`: "bfloat16", "float16", "float32".
std::string torch_dtype_name(DType dtype);
// The run keys' and flags' spelling ("fp32", "bf16", "fp16"); throws naming it otherwise.
DType dtype_from_precision_name(const std::string& name);

}  // namespace chosei
