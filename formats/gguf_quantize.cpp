// Half-precision conversion and Q8_0 blocks.

#include "formats/gguf_quantize.h"

#include "base/q8_0_blocks.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace chosei {

namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

std::string encode_q8_0(const std::vector<float>& values) {
  const auto n = static_cast<std::int64_t>(values.size());
  std::vector<std::uint16_t> scales(static_cast<std::size_t>(n / kQ8_0BlockSize));
  std::vector<std::int8_t> qs(values.size());
  quantize_q8_0(values.data(), n, scales.data(), qs.data());
  std::string out;
  out.reserve(static_cast<std::size_t>(n / kQ8_0BlockSize * kQ8_0BlockBytes));
  for (std::size_t b = 0; b < scales.size(); ++b) {
    put_u16(out, scales[b]);
    out.append(reinterpret_cast<const char*>(qs.data()) + b * kQ8_0BlockSize, kQ8_0BlockSize);
  }
  return out;
}

}  // namespace

std::string encode_ggml(const std::vector<float>& values, GgmlType type) {
  std::string out;
  switch (type) {
    case GgmlType::F32:
      out.resize(values.size() * 4);
      std::memcpy(out.data(), values.data(), out.size());
      return out;
    case GgmlType::F16:
      out.reserve(values.size() * 2);
      for (float v : values) put_u16(out, fp32_to_fp16(v));
      return out;
    case GgmlType::Q8_0:
      return encode_q8_0(values);
    case GgmlType::BF16:
      out.reserve(values.size() * 2);
      for (float v : values) put_u16(out, fp32_to_bf16(v));
      return out;
  }
  throw std::invalid_argument("unknown ggml type");
}

std::vector<float> decode_ggml(const std::uint8_t* bytes, std::int64_t elements, GgmlType type) {
  std::vector<float> out(static_cast<std::size_t>(elements));
  auto u16_at = [&](std::size_t offset) {
    return static_cast<std::uint16_t>(bytes[offset] | (bytes[offset + 1] << 8));
  };
  switch (type) {
    case GgmlType::F32:
      std::memcpy(out.data(), bytes, out.size() * 4);
      return out;
    case GgmlType::F16:
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = fp16_to_fp32(u16_at(2 * i));
      return out;
    case GgmlType::BF16:
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = bf16_to_fp32(u16_at(2 * i));
      return out;
    case GgmlType::Q8_0:
      if (elements % kQ8_0BlockSize != 0)
        throw std::invalid_argument("Q8_0 tensor of " + std::to_string(elements) +
                                    " values (not a multiple of 32)");
      for (std::int64_t b = 0; b < elements / kQ8_0BlockSize; ++b) {
        const std::size_t at = static_cast<std::size_t>(b * kQ8_0BlockBytes);
        const float d = fp16_to_fp32(u16_at(at));
        for (std::int64_t j = 0; j < kQ8_0BlockSize; ++j)
          out[static_cast<std::size_t>(b * kQ8_0BlockSize + j)] =
              d * static_cast<float>(static_cast<std::int8_t>(bytes[at + 2 + j]));
      }
      return out;
  }
  throw std::invalid_argument("unknown ggml type");
}

}  // namespace chosei
