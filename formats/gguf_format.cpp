// GgufValue constructors and accessors.

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
    case GgmlType::Q4_0:
      return 2;
    case GgmlType::Q4_1:
      return 3;
    case GgmlType::Q5_0:
      return 8;
    case GgmlType::Q5_1:
      return 9;
    default:
      throw std::invalid_argument("no general.file_type for a file of " + ggml_type_name(type));
  }
}

}  // namespace chosei
