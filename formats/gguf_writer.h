#pragma once
// GgufWriter: builds a GGUF v3 file from metadata and tensors and writes it atomically
// (temporary file, fsync, rename). Tensor bytes are produced one tensor at a time while
// the file is written, so a model is never held twice in memory.
//
//   GgufWriter w;
//   w.set("general.architecture", GgufValue::string("llama"));
//   w.add_tensor("token_embd.weight", {vocab, hidden}, GgmlType::F16, [&] { return bytes; });
//   w.write("model.gguf");

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "formats/gguf_format.h"

namespace chosei {

class GgufWriter {
 public:
  // Keys keep their insertion order; setting a key again replaces its value.
  void set(const std::string& key, GgufValue value);
  // `shape` in PyTorch order (outermost first); `bytes` must return exactly the bytes of
  // that many values of `type`. Throws std::invalid_argument on a duplicate name.
  void add_tensor(const std::string& name, std::vector<std::int64_t> shape, GgmlType type,
                  std::function<std::string()> bytes);

  // Throws std::runtime_error naming the path (the previous file, if any, stays intact), or
  // std::invalid_argument naming a tensor whose bytes do not match its shape and type.
  void write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    std::vector<std::int64_t> shape;
    GgmlType type;
    std::function<std::string()> bytes;
  };
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace chosei
