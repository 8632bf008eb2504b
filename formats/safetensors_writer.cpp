#include "formats/safetensors_writer.h"

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

namespace {

std::string header_json(const std::vector<TensorBytes>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  // ordered_json keeps tensors in file order, which makes files easy to diff and inspect.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  std::size_t offset = 0;
  for (const auto& t : tensors) {
    if (!seen.insert(t.name).second)
      throw std::invalid_argument("safetensors: duplicate tensor name \"" + t.name + "\"");
    std::size_t expected = dtype_size(t.dtype);
    for (auto d : t.shape) expected *= static_cast<std::size_t>(d);
    if (expected != t.nbytes)
      throw std::invalid_argument("safetensors: tensor \"" + t.name + "\" has " +
                                  std::to_string(t.nbytes) + " bytes, its shape needs " +
                                  std::to_string(expected));
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string header = header_json(tensors, metadata);
  write_file_atomic(path, [&](std::ostream& out) {
    std::uint64_t n = header.size();
    char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    out.write(len, 8);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const auto& t : tensors)
      out.write(static_cast<const char*>(t.data), static_cast<std::streamsize>(t.nbytes));
  });
}

}  // namespace chosei
