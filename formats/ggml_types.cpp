// The ggml type table.

#include "formats/ggml_types.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include "base/half_float.h"
#include "formats/ggml_blocks_k.h"
#include "formats/ggml_blocks_legacy.h"

namespace chosei {

namespace {

std::uint16_t u16_at(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v & 0xff);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}

void dequantize_f32(const std::uint8_t* b, float* out, std::int64_t n) {
  std::memcpy(out, b, static_cast<std::size_t>(n) * 4);
}
void quantize_f32(const float* x, std::uint8_t* b, std::int64_t n) {
  std::memcpy(b, x, static_cast<std::size_t>(n) * 4);
}
void dequantize_f16(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(u16_at(b + 2 * i));
}
void quantize_f16(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) put_u16(b + 2 * i, fp32_to_fp16(x[i]));
}
void dequantize_bf16(const std::uint8_t* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = bf16_to_fp32(u16_at(b + 2 * i));
}
void quantize_bf16(const float* x, std::uint8_t* b, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) put_u16(b + 2 * i, fp32_to_bf16(x[i]));
}

std::string type_list() {
  std::string names;
  for (const auto& t : ggml_types())
    names += (names.empty() ? "" : ", ") + std::string(t.name) + " " +
             std::to_string(static_cast<std::uint32_t>(t.type));
  return names;
}

}  // namespace

const std::vector<GgmlTypeTraits>& ggml_types() {
  namespace q = ggml_blocks;
  static const std::vector<GgmlTypeTraits> table = {
      {GgmlType::F32, "F32", 1, 4, dequantize_f32, quantize_f32},
      {GgmlType::F16, "F16", 1, 2, dequantize_f16, quantize_f16},
      {GgmlType::Q4_0, "Q4_0", 32, 18, q::dequantize_q4_0, q::quantize_q4_0},
      {GgmlType::Q4_1, "Q4_1", 32, 20, q::dequantize_q4_1, q::quantize_q4_1},
      {GgmlType::Q5_0, "Q5_0", 32, 22, q::dequantize_q5_0, q::quantize_q5_0},
      {GgmlType::Q5_1, "Q5_1", 32, 24, q::dequantize_q5_1, q::quantize_q5_1},
      {GgmlType::Q8_0, "Q8_0", 32, 34, q::dequantize_q8_0, q::quantize_q8_0},
      {GgmlType::Q2_K, "Q2_K", 256, 84, q::dequantize_q2_k, nullptr},
      {GgmlType::Q3_K, "Q3_K", 256, 110, q::dequantize_q3_k, nullptr},
      {GgmlType::Q4_K, "Q4_K", 256, 144, q::dequantize_q4_k, q::quantize_q4_k},
      {GgmlType::Q5_K, "Q5_K", 256, 176, q::dequantize_q5_k, q::quantize_q5_k},
      {GgmlType::Q6_K, "Q6_K", 256, 210, q::dequantize_q6_k, q::quantize_q6_k},
      {GgmlType::IQ4_NL, "IQ4_NL", 32, 18, q::dequantize_iq4_nl, nullptr},
      {GgmlType::IQ4_XS, "IQ4_XS", 256, 136, q::dequantize_iq4_xs, nullptr},
      {GgmlType::BF16, "BF16", 1, 2, dequantize_bf16, quantize_bf16},
  };
  return table;
}

const GgmlTypeTraits& ggml_type_traits(std::uint32_t id, const std::string& tensor) {
  for (const auto& t : ggml_types())
    if (static_cast<std::uint32_t>(t.type) == id) return t;
  throw std::invalid_argument("GGUF tensor " + tensor + ": ggml type " + std::to_string(id) +
                              " is not supported (" + type_list() + ")");
}

const GgmlTypeTraits& ggml_type_traits(GgmlType type) {
  return ggml_type_traits(static_cast<std::uint32_t>(type), "");
}

const GgmlTypeTraits& ggml_type_named(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& t : ggml_types())
    if (upper == t.name) return t;
  throw std::invalid_argument("unknown ggml type \"" + name + "\" (" + type_list() + ")");
}

std::string ggml_type_name(GgmlType type) { return ggml_type_traits(type).name; }

GgmlType ggml_type_from_u32(std::uint32_t value, const std::string& tensor) {
  return ggml_type_traits(value, tensor).type;
}

std::uint64_t ggml_type_bytes(GgmlType type, std::int64_t elements) {
  const auto& t = ggml_type_traits(type);
  if (elements % t.block_size != 0)
    throw std::invalid_argument(std::string(t.name) + " needs a multiple of " +
                                std::to_string(t.block_size) + " values, got " +
                                std::to_string(elements));
  return static_cast<std::uint64_t>(elements / t.block_size * t.block_bytes);
}

}  // namespace chosei
