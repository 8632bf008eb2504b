#pragma once
// Element conversions for GGUF tensors: IEEE half precision both ways (round to nearest
// even, as ggml's GGML_FP32_TO_FP16), and Q8_0 blocks exactly as ggml's reference
// quantize_row_q8_0_ref / dequantize_row_q8_0 compute them.

#include <cstdint>
#include <string>
#include <vector>

#include "base/half_float.h"
#include "formats/gguf_format.h"

namespace chosei {

// `values` in `type`'s bytes; Q8_0 needs a multiple of 32 values (whole rows of blocks).
std::string encode_ggml(const std::vector<float>& values, GgmlType type);
// Back to floats; `bytes` must hold exactly `elements` values of `type`.
std::vector<float> decode_ggml(const std::uint8_t* bytes, std::int64_t elements, GgmlType type);

}  // namespace chosei
