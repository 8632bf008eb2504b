#pragma once
// The ggml tensor types, written once, as ggml's own type-traits table: each type's id, name,
// block layout and its (de)quantizers. The GGUF reader, writer, export choices and the CLI
// read this table; adding a type is one row here and its block functions.
// Layouts: ggml/src/ggml-common.h (block_q4_0 ... block_q6_K); the arithmetic is the `gguf`
// package's (gguf-py/gguf/quants.py), which equals ggml-quants.c's reference code.

#include <cstdint>
#include <string>
#include <vector>

namespace chosei {

// The ids are ggml's (enum ggml_type).
enum class GgmlType : std::uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  IQ4_NL = 20,
  IQ4_XS = 23,
  BF16 = 30,
};

// `blocks` holds n / block_size blocks; `out` n values. n is a multiple of the block size.
using DequantizeRow = void (*)(const std::uint8_t* blocks, float* out, std::int64_t n);
using QuantizeRow = void (*)(const float* values, std::uint8_t* blocks, std::int64_t n);

struct GgmlTypeTraits {
  GgmlType type;
  const char* name;          // as ggml spells it: "Q4_K"
  std::int64_t block_size;   // values per block (1 for F32/F16/BF16)
  std::int64_t block_bytes;  // bytes per block
  DequantizeRow dequantize;
  QuantizeRow quantize;  // null where chosei does not write the type
};

// Every type chosei reads, in id order.
const std::vector<GgmlTypeTraits>& ggml_types();
// Throws std::invalid_argument naming `tensor` and the supported types for an unknown id.
const GgmlTypeTraits& ggml_type_traits(std::uint32_t id, const std::string& tensor);
const GgmlTypeTraits& ggml_type_traits(GgmlType type);
// By name, case-insensitively ("q4_k" or "Q4_K"); throws std::invalid_argument listing them.
const GgmlTypeTraits& ggml_type_named(const std::string& name);

std::string ggml_type_name(GgmlType type);
GgmlType ggml_type_from_u32(std::uint32_t value, const std::string& tensor);
// Bytes of a row of `elements` values; throws unless `elements` is a whole number of blocks.
std::uint64_t ggml_type_bytes(GgmlType type, std::int64_t elements);

// Blocks of 32 values along a row (Q4_0 ... Q8_0, IQ4_NL); K-quants and IQ4_XS: 256.
inline constexpr std::int64_t kQ8_0BlockSize = 32;
inline constexpr std::int64_t kQ8_0BlockBytes = 34;
inline constexpr std::int64_t kQkK = 256;

}  // namespace chosei
