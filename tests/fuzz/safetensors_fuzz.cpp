// libFuzzer target for the safetensors reader: any input must either parse into views that
// lie inside the input, or throw std::runtime_error. A crash, a sanitizer report or
// another exception type is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "formats/safetensors_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto content = chosei::parse_safetensors(data, size, "fuzz");
    for (const auto& t : content.tensors) {
      if (t.data < data || t.data + t.nbytes > data + size) std::abort();
      if (t.numel() * chosei::dtype_size(t.dtype) != t.nbytes) std::abort();
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
