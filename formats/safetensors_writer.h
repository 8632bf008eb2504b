#pragma once
// Writes .safetensors files: header JSON padded with spaces to a multiple of 8 bytes (so
// the data buffer stays 8-byte aligned, as the reference writer does), then the tensors'
// bytes back to back. The write is atomic (temporary file, fsync, rename).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "formats/dtype.h"

namespace chosei {

// A tensor to write. `data` must stay valid until write_safetensors returns and hold
// exactly numel * dtype_size bytes.
struct TensorBytes {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  const void* data = nullptr;
  std::size_t nbytes = 0;
};

// Throws std::invalid_argument on a duplicate name or a byte count that does not match the
// shape, std::runtime_error when the file cannot be written.
void write_safetensors(const std::string& path, const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace chosei
