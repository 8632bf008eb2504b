#pragma once
// SafetensorsReader: reads a .safetensors file (https://github.com/huggingface/safetensors)
// through a read-only memory map. Layout: 8-byte little-endian header length N, N bytes of
// JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the
// data buffer that the offsets index.
//
// Every structural claim of the header is checked before any byte is trusted: header length
// within the file, valid JSON, known dtypes, shapes whose element count times the dtype size
// equals the byte range, ranges inside the buffer and not overlapping. A bad file is refused
// with std::runtime_error naming the file, the tensor and the problem; nothing is allocated
// in proportion to what the header claims.
//
//   SafetensorsReader reader("model.safetensors");
//   for (const auto& t : reader.tensors()) use(t.name, t.dtype, t.shape, t.data, t.nbytes);
//
// Tensor views point into the map and live as long as the reader. Thread-safe for reads.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "formats/dtype.h"

namespace chosei {

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  const std::uint8_t* data = nullptr;  // not necessarily aligned
  std::size_t nbytes = 0;
  std::size_t numel() const;
};

// The parsed header and tensor views of an in-memory safetensors image. `source` names it
// in error messages.
struct SafetensorsContent {
  std::vector<TensorView> tensors;  // in file-offset order
  std::map<std::string, std::string> metadata;
};
SafetensorsContent parse_safetensors(const std::uint8_t* bytes, std::size_t size,
                                     const std::string& source);

class SafetensorsReader {
 public:
  explicit SafetensorsReader(const std::string& path);

  const std::vector<TensorView>& tensors() const { return content_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return content_.metadata; }
  // Throws std::out_of_range naming the tensor and file when absent.
  const TensorView& tensor(const std::string& name) const;
  bool contains(const std::string& name) const;
  const std::string& path() const { return file_.path(); }
  // Drops a view's pages from memory once it has been copied out (MappedFile::release).
  void release(const TensorView& view) const { file_.release(view.data, view.nbytes); }

 private:
  MappedFile file_;
  SafetensorsContent content_;
  std::map<std::string, std::size_t> index_;
};

}  // namespace chosei
