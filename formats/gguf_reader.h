#pragma once
// GgufReader: a GGUF v2/v3 file mapped read-only: its metadata, its tensor table and each
// tensor's values as floats (every type in formats/ggml_types decoded). Every length and offset is
// checked against the file, so a truncated or hostile file is an error naming the path and the
// part, never a read past the end.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "formats/gguf_format.h"

namespace chosei {

struct GgufTensorInfo {
  std::string name;
  std::vector<std::int64_t> shape;  // PyTorch order (outermost first)
  GgmlType type = GgmlType::F32;
  std::uint64_t offset = 0;  // from the start of the data section
  std::int64_t elements() const;
};

class GgufReader {
 public:
  // Throws std::runtime_error naming `path` and what is wrong.
  explicit GgufReader(const std::string& path);

  std::uint32_t version() const { return version_; }
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  // Null when absent.
  const GgufValue* find(const std::string& key) const;
  // Throws std::runtime_error naming the path and key when absent.
  const GgufValue& at(const std::string& key) const;
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  // The tensor's values decoded to f32, in PyTorch (row-major) order.
  std::vector<float> values(const GgufTensorInfo& tensor) const;
  // The tensor's bytes as stored.
  const std::uint8_t* raw(const GgufTensorInfo& tensor) const;
  const std::string& path() const { return file_.path(); }

 private:
  MappedFile file_;
  std::uint32_t version_ = 0;
  std::uint64_t data_start_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
};

}  // namespace chosei
