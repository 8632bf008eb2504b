// GGUF v3 layout: header (magic, version, tensor count, metadata count), metadata pairs,
// tensor infos (name, dims innermost first, type, offset in the data section), padding to
// general.alignment, then each tensor's bytes at its aligned offset.

#include "formats/gguf_writer.h"

#include <cstring>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

namespace {

template <typename T>
void put(std::ostream& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // x86-64 and aarch64 are little-endian, as GGUF is
  out.write(bytes, sizeof(T));
}

void put_string(std::ostream& out, const std::string& s) {
  put<std::uint64_t>(out, s.size());
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

void put_number(std::ostream& out, GgufValueType type, double v) {
  switch (type) {
    case GgufValueType::U8:
      put<std::uint8_t>(out, static_cast<std::uint8_t>(v));
      return;
    case GgufValueType::I8:
      put<std::int8_t>(out, static_cast<std::int8_t>(v));
      return;
    case GgufValueType::U16:
      put<std::uint16_t>(out, static_cast<std::uint16_t>(v));
      return;
    case GgufValueType::I16:
      put<std::int16_t>(out, static_cast<std::int16_t>(v));
      return;
    case GgufValueType::U32:
      put<std::uint32_t>(out, static_cast<std::uint32_t>(v));
      return;
    case GgufValueType::I32:
      put<std::int32_t>(out, static_cast<std::int32_t>(v));
      return;
    case GgufValueType::F32:
      put<float>(out, static_cast<float>(v));
      return;
    case GgufValueType::BOOL:
      put<std::uint8_t>(out, v != 0 ? 1 : 0);
      return;
    case GgufValueType::U64:
      put<std::uint64_t>(out, static_cast<std::uint64_t>(v));
      return;
    case GgufValueType::I64:
      put<std::int64_t>(out, static_cast<std::int64_t>(v));
      return;
    case GgufValueType::F64:
      put<double>(out, v);
      return;
    default:
      throw std::invalid_argument("GGUF: not a numeric type");
  }
}

void put_scalar(std::ostream& out, const GgufValue& v) {
  if (v.type == GgufValueType::STRING) return put_string(out, std::get<std::string>(v.scalar));
  if (auto* u = std::get_if<std::uint64_t>(&v.scalar)) {
    if (v.type == GgufValueType::U64) return put<std::uint64_t>(out, *u);
    return put_number(out, v.type, static_cast<double>(*u));
  }
  if (auto* i = std::get_if<std::int64_t>(&v.scalar)) {
    if (v.type == GgufValueType::I64) return put<std::int64_t>(out, *i);
    return put_number(out, v.type, static_cast<double>(*i));
  }
  if (auto* b = std::get_if<bool>(&v.scalar)) return put<std::uint8_t>(out, *b ? 1 : 0);
  put_number(out, v.type, std::get<double>(v.scalar));
}

void put_value(std::ostream& out, const GgufValue& v) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(v.type));
  if (v.type != GgufValueType::ARRAY) return put_scalar(out, v);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(v.element_type));
  if (v.element_type == GgufValueType::STRING) {
    put<std::uint64_t>(out, v.strings.size());
    for (const auto& s : v.strings) put_string(out, s);
    return;
  }
  put<std::uint64_t>(out, v.numbers.size());
  for (double n : v.numbers) put_number(out, v.element_type, n);
}

std::uint64_t align_up(std::uint64_t offset, std::uint64_t alignment) {
  return (offset + alignment - 1) / alignment * alignment;
}

void pad_to(std::ostream& out, std::uint64_t& written, std::uint64_t alignment) {
  const auto target = align_up(written, alignment);
  for (; written < target; ++written) out.put('\0');
}

std::int64_t element_count(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
  for (auto& [k, v] : metadata_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::add_tensor(const std::string& name, std::vector<std::int64_t> shape, GgmlType type,
                            std::function<std::string()> bytes) {
  for (const auto& t : tensors_)
    if (t.name == name) throw std::invalid_argument("GGUF: tensor " + name + " added twice");
  if (shape.empty() || shape.size() > 4)
    throw std::invalid_argument("GGUF: tensor " + name + " needs 1 to 4 dims");
  const auto& traits = ggml_type_traits(type);
  if (shape.back() % traits.block_size != 0)
    throw std::invalid_argument("GGUF: tensor " + name + " has rows of " +
                                std::to_string(shape.back()) + " values, not a multiple of " +
                                traits.name + "'s block of " + std::to_string(traits.block_size));
  tensors_.push_back({name, std::move(shape), type, std::move(bytes)});
}

void GgufWriter::write(const std::string& path) const {
  std::uint64_t alignment = kGgufDefaultAlignment;
  for (const auto& [k, v] : metadata_)
    if (k == "general.alignment") alignment = v.as_uint(k);
  // The header goes through a buffer first: its length decides the data section's padding.
  std::ostringstream head;
  put<std::uint32_t>(head, kGgufMagic);
  put<std::uint32_t>(head, kGgufVersion);
  put<std::uint64_t>(head, tensors_.size());
  put<std::uint64_t>(head, metadata_.size());
  for (const auto& [key, value] : metadata_) {
    put_string(head, key);
    put_value(head, value);
  }
  std::uint64_t offset = 0;
  std::vector<std::uint64_t> sizes;
  for (const auto& t : tensors_) {
    put_string(head, t.name);
    put<std::uint32_t>(head, static_cast<std::uint32_t>(t.shape.size()));
    for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d)
      put<std::uint64_t>(head, static_cast<std::uint64_t>(*d));
    put<std::uint32_t>(head, static_cast<std::uint32_t>(t.type));
    put<std::uint64_t>(head, offset);
    sizes.push_back(ggml_type_bytes(t.type, element_count(t.shape)));
    offset = align_up(offset + sizes.back(), alignment);
  }
  write_file_atomic(path, [&](std::ostream& out) {
    const std::string header_bytes = head.str();
    out.write(header_bytes.data(), static_cast<std::streamsize>(header_bytes.size()));
    std::uint64_t header = header_bytes.size();
    pad_to(out, header, alignment);
    std::uint64_t data = 0;
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
      const std::string bytes = tensors_[i].bytes();
      if (bytes.size() != sizes[i])
        throw std::invalid_argument("GGUF: tensor " + tensors_[i].name + " has " +
                                    std::to_string(bytes.size()) + " bytes, its shape and " +
                                    ggml_type_name(tensors_[i].type) + " need " +
                                    std::to_string(sizes[i]));
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      data += bytes.size();
      if (i + 1 < tensors_.size()) pad_to(out, data, alignment);
    }
  });
}

}  // namespace chosei
