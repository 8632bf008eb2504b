// GgufValue constructors and accessors, ggml type sizes.

#include "formats/gguf_format.h"

#include <stdexcept>

namespace chosei {

namespace {

GgufValue array_of(GgufValueType element) {
  GgufValue v;
  v.type = GgufValueType::ARRAY;
  v.element_type = element;
  return v;
}

[[noreturn]] void wrong_type(const std::string& key, const char* wanted) {
  throw std::invalid_argument("GGUF metadata " + key + ": expected " + wanted);
}

}  // namespace

GgufValue GgufValue::u32(std::uint32_t v) {
  GgufValue g;
  g.type = GgufValueType::U32;
  g.scalar = std::uint64_t{v};
  return g;
}

GgufValue GgufValue::i32(std::int32_t v) {
  GgufValue g;
  g.type = GgufValueType::I32;
  g.scalar = std::int64_t{v};
  return g;
}

GgufValue GgufValue::f32(float v) {
  GgufValue g;
  g.type = GgufValueType::F32;
  g.scalar = double{v};
  return g;
}

GgufValue GgufValue::boolean(bool v) {
  GgufValue g;
  g.type = GgufValueType::BOOL;
  g.scalar = v;
  return g;
}

GgufValue GgufValue::string(std::string v) {
  GgufValue g;
  g.type = GgufValueType::STRING;
  g.scalar = std::move(v);
  return g;
}

GgufValue GgufValue::string_array(std::vector<std::string> v) {
  auto g = array_of(GgufValueType::STRING);
  g.strings = std::move(v);
  return g;
}

GgufValue GgufValue::f32_array(const std::vector<float>& v) {
  auto g = array_of(GgufValueType::F32);
  g.numbers.assign(v.begin(), v.end());
  return g;
}

GgufValue GgufValue::i32_array(const std::vector<std::int32_t>& v) {
  auto g = array_of(GgufValueType::I32);
  g.numbers.assign(v.begin(), v.end());
  return g;
}

std::uint64_t GgufValue::as_uint(const std::string& key) const {
  if (auto* u = std::get_if<std::uint64_t>(&scalar); u && type != GgufValueType::ARRAY) return *u;
  if (auto* i = std::get_if<std::int64_t>(&scalar); i && type != GgufValueType::ARRAY && *i >= 0)
    return static_cast<std::uint64_t>(*i);
  wrong_type(key, "a non-negative integer");
}

double GgufValue::as_float(const std::string& key) const {
  if (type == GgufValueType::ARRAY) wrong_type(key, "a number");
  if (auto* d = std::get_if<double>(&scalar)) return *d;
  if (auto* u = std::get_if<std::uint64_t>(&scalar)) return static_cast<double>(*u);
  if (auto* i = std::get_if<std::int64_t>(&scalar)) return static_cast<double>(*i);
  wrong_type(key, "a number");
}

bool GgufValue::as_bool(const std::string& key) const {
  if (auto* b = std::get_if<bool>(&scalar); b && type == GgufValueType::BOOL) return *b;
  wrong_type(key, "a bool");
}

const std::string& GgufValue::as_string(const std::string& key) const {
  if (auto* s = std::get_if<std::string>(&scalar); s && type == GgufValueType::STRING) return *s;
  wrong_type(key, "a string");
}

std::string ggml_type_name(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return "F32";
    case GgmlType::F16:
      return "F16";
    case GgmlType::Q8_0:
      return "Q8_0";
    case GgmlType::BF16:
      return "BF16";
  }
  throw std::invalid_argument("unknown ggml type " + std::to_string(static_cast<int>(type)));
}

GgmlType ggml_type_from_u32(std::uint32_t value, const std::string& tensor) {
  if (value == 0 || value == 1 || value == 8 || value == 30) return static_cast<GgmlType>(value);
  throw std::invalid_argument("GGUF tensor " + tensor + ": ggml type " + std::to_string(value) +
                              " is not supported (F32 0, F16 1, Q8_0 8, BF16 30)");
}

std::uint64_t ggml_type_bytes(GgmlType type, std::int64_t elements) {
  switch (type) {
    case GgmlType::F32:
      return 4ull * static_cast<std::uint64_t>(elements);
    case GgmlType::F16:
    case GgmlType::BF16:
      return 2ull * static_cast<std::uint64_t>(elements);
    case GgmlType::Q8_0:
      if (elements % kQ8_0BlockSize != 0)
        throw std::invalid_argument("Q8_0 needs a multiple of 32 values, got " +
                                    std::to_string(elements));
      return static_cast<std::uint64_t>(elements / kQ8_0BlockSize * kQ8_0BlockBytes);
  }
  throw std::invalid_argument("unknown ggml type");
}

std::uint32_t gguf_file_type(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return 0;
    case GgmlType::F16:
      return 1;
    case GgmlType::Q8_0:
      return 7;
    case GgmlType::BF16:
      return 32;
  }
  return 0;
}

}  // namespace chosei
