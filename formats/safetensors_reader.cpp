#include "formats/safetensors_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace chosei {

namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we, which also bounds
// the JSON parser's allocation.
constexpr std::uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw std::runtime_error(source + ": invalid safetensors: " + what);
}

std::uint64_t read_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::vector<std::int64_t> parse_shape(const json& j, const std::string& source,
                                      const std::string& name) {
  if (!j.is_array()) fail(source, "tensor \"" + name + "\": shape is not an array");
  std::vector<std::int64_t> shape;
  for (const auto& d : j) {
    if (!d.is_number_unsigned())
      fail(source, "tensor \"" + name + "\": shape has a non-integer or negative dimension");
    auto v = d.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(source, "tensor \"" + name + "\": dimension too large");
    shape.push_back(static_cast<std::int64_t>(v));
  }
  return shape;
}

// Element count times element size, refusing overflow.
std::uint64_t byte_count(const std::vector<std::int64_t>& shape, std::size_t elem,
                         const std::string& source, const std::string& name) {
  std::uint64_t n = elem;
  for (auto d : shape) {
    auto ud = static_cast<std::uint64_t>(d);
    if (ud != 0 && n > std::numeric_limits<std::uint64_t>::max() / ud)
      fail(source, "tensor \"" + name + "\": shape overflows");
    n *= ud;
  }
  return n;
}

TensorView parse_entry(const std::string& name, const json& entry, const std::uint8_t* buffer,
                       std::uint64_t buffer_size, const std::string& source) {
  if (!entry.is_object()) fail(source, "tensor \"" + name + "\": entry is not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key)) fail(source, "tensor \"" + name + "\": missing \"" + key + "\"");
  if (!entry["dtype"].is_string()) fail(source, "tensor \"" + name + "\": dtype is not a string");
  TensorView view;
  view.name = name;
  try {
    view.dtype = dtype_from_name(entry["dtype"].get<std::string>());
  } catch (const std::invalid_argument& e) {
    fail(source, "tensor \"" + name + "\": " + e.what());
  }
  view.shape = parse_shape(entry["shape"], source, name);
  const json& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    fail(source, "tensor \"" + name + "\": data_offsets must be two non-negative integers");
  auto begin = offsets[0].get<std::uint64_t>();
  auto end = offsets[1].get<std::uint64_t>();
  if (begin > end) fail(source, "tensor \"" + name + "\": data_offsets begin > end");
  if (end > buffer_size)
    fail(source, "tensor \"" + name + "\": data_offsets [" + std::to_string(begin) + ", " +
                     std::to_string(end) + "] beyond the data buffer of " +
                     std::to_string(buffer_size) + " bytes");
  auto expected = byte_count(view.shape, dtype_size(view.dtype), source, name);
  if (expected != end - begin)
    fail(source, "tensor \"" + name + "\": shape and dtype need " + std::to_string(expected) +
                     " bytes but data_offsets span " + std::to_string(end - begin));
  view.data = buffer + begin;
  view.nbytes = static_cast<std::size_t>(end - begin);
  return view;
}

void check_no_overlap(std::vector<TensorView>& tensors, const std::string& source) {
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorView& a, const TensorView& b) { return a.data < b.data; });
  for (std::size_t i = 1; i < tensors.size(); ++i) {
    const auto& prev = tensors[i - 1];
    if (prev.data + prev.nbytes > tensors[i].data)
      fail(source, "tensors \"" + prev.name + "\" and \"" + tensors[i].name + "\" overlap");
  }
}

}  // namespace

std::size_t TensorView::numel() const {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

SafetensorsContent parse_safetensors(const std::uint8_t* bytes, std::size_t size,
                                     const std::string& source) {
  if (size < 8)
    fail(source,
         "file is " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  std::uint64_t header_len = read_le64(bytes);
  if (header_len > kMaxHeaderBytes)
    fail(source, "header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  if (header_len > size - 8)
    fail(source, "header length " + std::to_string(header_len) + " runs past the end of the " +
                     std::to_string(size) + "-byte file (truncated?)");
  json header = json::parse(bytes + 8, bytes + 8 + header_len, nullptr, false);
  if (header.is_discarded()) fail(source, "header is not valid JSON");
  if (!header.is_object()) fail(source, "header is not a JSON object");

  const std::uint8_t* buffer = bytes + 8 + header_len;
  std::uint64_t buffer_size = size - 8 - header_len;
  SafetensorsContent content;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) fail(source, "__metadata__ is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          fail(source, "__metadata__[\"" + m.key() + "\"] is not a string");
        content.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    content.tensors.push_back(parse_entry(it.key(), it.value(), buffer, buffer_size, source));
  }
  check_no_overlap(content.tensors, source);
  return content;
}

SafetensorsReader::SafetensorsReader(const std::string& path) : file_(path) {
  content_ = parse_safetensors(file_.data(), file_.size(), path);
  for (std::size_t i = 0; i < content_.tensors.size(); ++i) index_[content_.tensors[i].name] = i;
}

const TensorView& SafetensorsReader::tensor(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw std::out_of_range(path() + ": no tensor \"" + name + "\"");
  return content_.tensors[it->second];
}

bool SafetensorsReader::contains(const std::string& name) const { return index_.count(name) > 0; }

}  // namespace chosei
