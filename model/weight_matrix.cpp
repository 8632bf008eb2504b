// Packing into the storage types and the blocked, threaded product.

#include "model/weight_matrix.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <stdexcept>

#include "base/cpu_features.h"
#include "base/half_float.h"
#include "base/q8_0_blocks.h"
#include "model/matrix_kernels.h"

namespace chosei {

namespace {
// From this many inputs on, bf16 and q8_0 products go through LibTorch's GEMM.
constexpr std::int64_t kGemmInputs = 32;
}  // namespace

const char* weight_type_name(WeightType type) {
  switch (type) {
    case WeightType::kF32:
      return "f32";
    case WeightType::kBF16:
      return "bf16";
    case WeightType::kQ8_0:
      return "q8_0";
  }
  return "?";
}

WeightType parse_weight_type(const std::string& name) {
  if (name == "f32" || name == "fp32") return WeightType::kF32;
  if (name == "bf16") return WeightType::kBF16;
  if (name == "q8_0") return WeightType::kQ8_0;
  throw std::invalid_argument("weights type \"" + name + "\" is not one of f32, bf16, q8_0");
}

WeightMatrix::WeightMatrix(const std::vector<Part>& parts, std::int64_t cols, WeightType type)
    : type_(type), cols_(cols) {
  if (type_ == WeightType::kQ8_0 && cols % kQ8_0Block != 0) type_ = WeightType::kF32;
  for (const auto& p : parts) {
    for (std::int64_t r = 0; r < p.rows; r += 4)
      blocks_.push_back(
          {rows_ + r, static_cast<int>(std::min<std::int64_t>(4, p.rows - r)), p.data + r * cols});
    rows_ += p.rows;
  }
  const auto n = rows_ * cols_;
  if (type_ == WeightType::kBF16) {
    bf16_.resize(static_cast<std::size_t>(n));
    std::int64_t at = 0;
    for (const auto& p : parts)
      for (std::int64_t i = 0; i < p.rows * cols; ++i) bf16_[at++] = fp32_to_bf16(p.data[i]);
  } else if (type_ == WeightType::kQ8_0) {
    q8_.resize(static_cast<std::size_t>(n));
    bf16_.resize(static_cast<std::size_t>(n / kQ8_0Block));
    std::int64_t at = 0;
    for (const auto& p : parts) {
      quantize_q8_0(p.data, p.rows * cols, bf16_.data() + at / kQ8_0Block, q8_.data() + at);
      at += p.rows * cols;
    }
  }
}

std::int64_t WeightMatrix::bytes() const {
  switch (type_) {
    case WeightType::kF32:
      return rows_ * cols_ * 4;
    case WeightType::kBF16:
      return rows_ * cols_ * 2;
    case WeightType::kQ8_0:
      return rows_ * cols_ + rows_ * cols_ / kQ8_0Block * 2;
  }
  return 0;
}

void WeightMatrix::row(std::int64_t r, float* out) const {
  if (r < 0 || r >= rows_)
    throw std::out_of_range("weight row " + std::to_string(r) + " outside [0, " +
                            std::to_string(rows_) + ")");
  if (type_ == WeightType::kF32) {
    const auto& b = blocks_[static_cast<std::size_t>(r / 4)];
    const float* src = b.f32 + (r - b.row) * cols_;
    std::copy(src, src + cols_, out);
  } else if (type_ == WeightType::kBF16) {
    for (std::int64_t c = 0; c < cols_; ++c) out[c] = bf16_to_fp32(bf16_[r * cols_ + c]);
  } else {
    dequantize_q8_0(bf16_.data() + r * cols_ / kQ8_0Block, q8_.data() + r * cols_, cols_, out);
  }
}

void WeightMatrix::own() {
  if (type_ != WeightType::kF32 || !f32_.empty()) return;
  f32_.resize(static_cast<std::size_t>(rows_ * cols_));
  for (auto& b : blocks_) {
    std::copy(b.f32, b.f32 + b.count * cols_, f32_.begin() + b.row * cols_);
    b.f32 = f32_.data() + b.row * cols_;
  }
}

void WeightMatrix::multiply_blocks(const void* x, const float* x_scales, std::int64_t n, float* y,
                                   std::int64_t begin, std::int64_t end) const {
  // Inputs in chunks, so that a chunk stays in cache while the blocks of weights pass by.
  constexpr std::int64_t kChunk = 32;
  for (std::int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const std::int64_t i1 = std::min(n, i0 + kChunk);
    for (std::int64_t b = begin; b < end; ++b) {
      const auto& blk = blocks_[static_cast<std::size_t>(b)];
      for (std::int64_t i = i0; i < i1; i += 4) {
        const int ni = static_cast<int>(std::min<std::int64_t>(4, i1 - i));
        float* out = y + i * rows_ + blk.row;
        if (type_ == WeightType::kF32) {
          dot_block_f32(blk.f32, cols_, blk.count, static_cast<const float*>(x) + i * cols_, cols_,
                        ni, cols_, out, rows_);
        } else if (type_ == WeightType::kBF16) {
          dot_block_bf16(bf16_.data() + blk.row * cols_, cols_, blk.count,
                         static_cast<const std::uint16_t*>(x) + i * cols_, cols_, ni, cols_, out,
                         rows_);
        } else {
          dot_block_q8_0(q8_.data() + blk.row * cols_, bf16_.data() + blk.row * cols_ / 32, cols_,
                         blk.count, static_cast<const std::int8_t*>(x) + i * cols_,
                         x_scales + i * cols_ / 32, cols_, ni, cols_, out, rows_);
        }
      }
    }
  }
}

// Many inputs (a prompt): LibTorch's GEMM (oneDNN in bf16 where the CPU has bf16 units,
// else OpenBLAS in fp32) outruns the blocked kernel there: q8_0 prompts ran at 0.55x
// llama.cpp on the kernel. bf16 weights go in as they are stored, q8_0 ones widened to bf16
// a matrix at a time (a scratch, so the resident weights stay 8-bit); bf16 products and
// outputs, as --precision bf16 computes prompts. Without bf16 units the same bf16 operands
// are widened to fp32, so every machine computes the same products.
void WeightMatrix::multiply_by_gemm(const float* x, std::int64_t n, float* y) const {
  torch::Tensor w;
  if (type_ == WeightType::kBF16) {
    w = torch::from_blob(const_cast<std::uint16_t*>(bf16_.data()), {rows_, cols_},
                         torch::kBFloat16);
  } else {
    w = torch::empty({rows_, cols_}, torch::kBFloat16);
    auto* out = reinterpret_cast<std::uint16_t*>(w.data_ptr<at::BFloat16>());
    at::parallel_for(0, rows_, 64, [&](std::int64_t begin, std::int64_t end) {
      q8_0_to_bf16(q8_.data() + begin * cols_, bf16_.data() + begin * cols_ / kQ8_0Block,
                   (end - begin) * cols_, out + begin * cols_);
    });
  }
  auto input =
      torch::from_blob(const_cast<float*>(x), {n, cols_}, torch::kFloat32).to(torch::kBFloat16);
  auto output = torch::from_blob(y, {n, rows_}, torch::kFloat32);
  if (cpu_has_fast_bf16())
    output.copy_(torch::mm(input, w.t()));
  else
    torch::mm_out(output, input.to(torch::kFloat32), w.to(torch::kFloat32).t());
}

void WeightMatrix::multiply(const float* x, std::int64_t n, float* y) const {
  if (n >= kGemmInputs && type_ != WeightType::kF32) return multiply_by_gemm(x, n, y);
  // The inputs in the weights' type, once per product (not once per weight row).
  thread_local std::vector<std::uint16_t> x16;
  thread_local std::vector<float> xd;
  const void* input = x;
  const float* scales = nullptr;
  const auto count = n * cols_;
  if (type_ == WeightType::kBF16) {
    x16.resize(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) x16[i] = fp32_to_bf16(x[i]);
    input = x16.data();
  } else if (type_ == WeightType::kQ8_0) {
    thread_local std::vector<std::int8_t> q;
    thread_local std::vector<std::uint16_t> d;
    q.resize(static_cast<std::size_t>(count));
    d.resize(static_cast<std::size_t>(count / kQ8_0Block));
    xd.resize(d.size());
    quantize_q8_0(x, count, d.data(), q.data());
    for (std::size_t i = 0; i < d.size(); ++i) xd[i] = fp16_to_fp32(d[i]);
    input = q.data();
    scales = xd.data();
  }
  const auto blocks = static_cast<std::int64_t>(blocks_.size());
  // Small products run on the calling thread: waking the pool costs more than they do.
  const auto grain =
      std::max<std::int64_t>(1, (std::int64_t{1} << 15) / std::max<std::int64_t>(1, 4 * cols_ * n));
  at::parallel_for(0, blocks, grain, [&](std::int64_t begin, std::int64_t end) {
    multiply_blocks(input, scales, n, y, begin, end);
  });
}

}  // namespace chosei
