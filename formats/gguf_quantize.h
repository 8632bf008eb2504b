#pragma once
// A tensor's values to and from the bytes of a ggml type, through the type table
// (formats/ggml_types.h): whole rows of blocks, as GGUF stores them.

#include <cstdint>
#include <string>
#include <vector>

#include "formats/ggml_types.h"

namespace chosei {

// `values` in `type`'s bytes; throws std::invalid_argument naming the type when chosei does
// not write it or the count is not a whole number of blocks.
std::string encode_ggml(const std::vector<float>& values, GgmlType type);
// Back to floats; `bytes` must hold exactly `elements` values of `type`.
std::vector<float> decode_ggml(const std::uint8_t* bytes, std::int64_t elements, GgmlType type);

}  // namespace chosei
