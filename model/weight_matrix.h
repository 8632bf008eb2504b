#pragma once
// WeightMatrix: a projection's (rows, cols) weight as the decode engine reads it, in one of
// three storage types:
//   f32:  the fp32 parameters themselves (no copy; the caller keeps them alive);
//   bf16: a bfloat16 copy, half the bytes; inputs rounded to bf16, sums in fp32;
//   q8_0: ggml's 8-bit blocks (base/q8_0_blocks.h), ~27% of the fp32 bytes; inputs
//         quantized to Q8_0 per block of 32, as llama.cpp does, integer dot products.
// Several matrices with the same column count can be stacked (q|k|v, gate|up) so that one
// product, split once across the threads, computes them all.

#include <cstdint>
#include <string>
#include <vector>

#include "base/huge_page_array.h"

namespace chosei {

enum class WeightType { kF32, kBF16, kQ8_0 };

// "f32", "bf16", "q8_0"
const char* weight_type_name(WeightType type);
// Throws std::invalid_argument naming the value and the accepted ones.
WeightType parse_weight_type(const std::string& name);

class WeightMatrix {
 public:
  struct Part {
    const float* data;  // (rows, cols) row-major fp32
    std::int64_t rows;
  };
  WeightMatrix() = default;
  // Q8_0 needs cols to be a multiple of 32; other matrices fall back to f32 (llama.cpp's
  // converter keeps such matrices in f16).
  WeightMatrix(const std::vector<Part>& parts, std::int64_t cols, WeightType type);

  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  WeightType type() const { return type_; }
  // Bytes of the weights as stored (referenced f32 memory included).
  std::int64_t bytes() const;

  // y (n, rows) = x (n, cols) W^T, split across LibTorch's intra-op threads.
  void multiply(const float* x, std::int64_t n, float* y) const;
  // Row r as fp32 (embedding lookups of tied or quantized embeddings).
  void row(std::int64_t r, float* out) const;
  // Copies referenced f32 rows into the matrix, so the parameters can be freed.
  void own();

 private:
  struct Block {  // up to 4 consecutive rows, all in one part
    std::int64_t row;
    int count;
    const float* f32;  // the first row's fp32 data (f32 type)
  };
  void multiply_blocks(const void* x, const float* x_scales, std::int64_t n, float* y,
                       std::int64_t begin, std::int64_t end) const;
  void multiply_by_gemm(const float* x, std::int64_t n, float* y) const;

  WeightType type_ = WeightType::kF32;
  std::int64_t rows_ = 0, cols_ = 0;
  std::vector<Block> blocks_;
  // Packed weights on huge pages where the kernel grants them (base/huge_page_array.h).
  HugePageArray<std::uint16_t> bf16_;  // bf16 values, or q8_0 scales (rows * cols / 32)
  HugePageArray<std::int8_t> q8_;      // q8_0 values
  HugePageArray<float> f32_;           // owned f32 values (after own())
};

}  // namespace chosei
