// Tensors through the ggml type table.

#include "formats/gguf_quantize.h"

#include <stdexcept>

namespace chosei {

std::string encode_ggml(const std::vector<float>& values, GgmlType type) {
  const auto& t = ggml_type_traits(type);
  if (!t.quantize)
    throw std::invalid_argument(std::string("writing ggml type ") + t.name +
                                " is not supported (it is read only)");
  const auto n = static_cast<std::int64_t>(values.size());
  std::string out(ggml_type_bytes(type, n), '\0');
  t.quantize(values.data(), reinterpret_cast<std::uint8_t*>(out.data()), n);
  return out;
}

std::vector<float> decode_ggml(const std::uint8_t* bytes, std::int64_t elements, GgmlType type) {
  const auto& t = ggml_type_traits(type);
  ggml_type_bytes(type, elements);  // throws unless whole blocks
  std::vector<float> out(static_cast<std::size_t>(elements));
  t.dequantize(bytes, out.data(), elements);
  return out;
}

}  // namespace chosei
