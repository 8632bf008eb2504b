#pragma once
// The GGUF container (ggml's file format for llama.cpp, version 3): metadata values, tensor
// element types and their block layouts. Spec: ggml/docs/gguf.md. Everything little-endian;
// a tensor's dims are listed innermost first (ne[0] = the row length), the reverse of a
// PyTorch shape.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "formats/ggml_types.h"

namespace chosei {

inline constexpr std::uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian u32
inline constexpr std::uint32_t kGgufVersion = 3;
inline constexpr std::uint64_t kGgufDefaultAlignment = 32;

enum class GgufValueType : std::uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

// One metadata value. Arrays hold one element type; chosei writes arrays of strings, f32,
// i32 and u32 (tokens, scores, token types), and reads any array of scalars or strings.
struct GgufValue {
  GgufValueType type = GgufValueType::U32;
  GgufValueType element_type = GgufValueType::U32;  // for ARRAY
  std::variant<std::uint64_t, std::int64_t, double, bool, std::string> scalar;
  std::vector<std::string> strings;  // ARRAY of STRING
  std::vector<double> numbers;       // ARRAY of any numeric type (exact for ≤ 2^53)

  static GgufValue u32(std::uint32_t v);
  static GgufValue i32(std::int32_t v);
  static GgufValue f32(float v);
  static GgufValue boolean(bool v);
  static GgufValue string(std::string v);
  static GgufValue string_array(std::vector<std::string> v);
  static GgufValue f32_array(const std::vector<float>& v);
  static GgufValue i32_array(const std::vector<std::int32_t>& v);

  // Throw std::invalid_argument naming `key` when the value has another type.
  std::uint64_t as_uint(const std::string& key) const;
  double as_float(const std::string& key) const;
  bool as_bool(const std::string& key) const;
  const std::string& as_string(const std::string& key) const;
};

// general.file_type of a file whose matrices are `type` (llama_ftype: ALL_F32 0, MOSTLY_F16 1,
// MOSTLY_Q4_0 2, MOSTLY_Q4_1 3, MOSTLY_Q8_0 7, MOSTLY_Q5_0 8, MOSTLY_Q5_1 9, MOSTLY_BF16 32).
std::uint32_t gguf_file_type(GgmlType type);

}  // namespace chosei
