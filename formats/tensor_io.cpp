#include "formats/tensor_io.h"

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "base/atomic_file.h"
#include "formats/safetensors_writer.h"

namespace chosei {

namespace fs = std::filesystem;

torch::ScalarType to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return torch::kFloat32;
    case DType::F16:
      return torch::kFloat16;
    case DType::BF16:
      return torch::kBFloat16;
    case DType::F64:
      return torch::kFloat64;
    case DType::I64:
      return torch::kInt64;
    case DType::I32:
      return torch::kInt32;
    case DType::I16:
      return torch::kInt16;
    case DType::I8:
      return torch::kInt8;
    case DType::U8:
      return torch::kUInt8;
    case DType::BOOL:
      return torch::kBool;
  }
  throw std::invalid_argument("unsupported dtype");
}

torch::Tensor tensor_from_view(const TensorView& view) {
  auto t = torch::empty(view.shape, torch::TensorOptions().dtype(to_scalar_type(view.dtype)));
  if (view.nbytes) std::memcpy(t.data_ptr(), view.data, view.nbytes);
  return t;
}

namespace {

void read_file_into(const std::string& path, std::map<std::string, torch::Tensor>& out) {
  SafetensorsReader reader(path);
  for (const auto& view : reader.tensors()) out[view.name] = tensor_from_view(view);
}

std::vector<std::string> shard_files(const std::string& index_path) {
  auto j = nlohmann::json::parse(read_file(index_path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") ||
      !j["weight_map"].is_object())
    throw std::runtime_error(index_path + ": not a safetensors index (no \"weight_map\" object)");
  std::set<std::string> files;
  for (auto& [name, file] : j["weight_map"].items()) {
    if (!file.is_string())
      throw std::runtime_error(index_path + ": weight_map[\"" + name + "\"] is not a file name");
    auto f = file.get<std::string>();
    if (f.find('/') != std::string::npos || f == "..")
      throw std::runtime_error(index_path + ": shard name \"" + f + "\" must be a plain file name");
    files.insert(f);
  }
  return {files.begin(), files.end()};
}

}  // namespace

std::vector<std::string> checkpoint_files(const std::string& dir) {
  const auto single = fs::path(dir) / "model.safetensors";
  const auto index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::exists(single)) return {single.string()};
  if (!fs::exists(index))
    throw std::runtime_error(dir + ": no model.safetensors or model.safetensors.index.json");
  std::vector<std::string> files;
  for (const auto& f : shard_files(index.string())) files.push_back((fs::path(dir) / f).string());
  return files;
}

std::map<std::string, torch::Tensor> read_checkpoint_tensors(const std::string& dir) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& file : checkpoint_files(dir)) read_file_into(file, tensors);
  return tensors;
}

namespace {

bool is_floating(DType d) {
  return d == DType::F32 || d == DType::F16 || d == DType::BF16 || d == DType::F64;
}

void require_shape(const std::string& source, const std::string& name, at::IntArrayRef stored,
                   const torch::Tensor& parameter) {
  if (stored != parameter.sizes())
    throw std::runtime_error(source + ": tensor \"" + name + "\" has shape " + c10::str(stored) +
                             ", the model expects " + c10::str(parameter.sizes()));
}

[[noreturn]] void refuse_missing(const std::string& source, const std::string& name) {
  throw std::runtime_error(source + ": missing tensor \"" + name + "\"");
}

[[noreturn]] void refuse_unexpected(const std::string& source, const std::string& name) {
  throw std::runtime_error(source + ": unexpected tensor \"" + name +
                           "\" (not a parameter of this architecture)");
}

[[noreturn]] void refuse_integer(const std::string& source, const std::string& name) {
  throw std::runtime_error(source + ": tensor \"" + name + "\" is not floating point");
}

// Copies a view into `parameter`, converting its type, straight from the map when the view
// is aligned for its type (safetensors files are, in practice).
void copy_view_into(const TensorView& view, torch::Tensor& parameter) {
  const auto type = to_scalar_type(view.dtype);
  if (reinterpret_cast<std::uintptr_t>(view.data) % dtype_size(view.dtype) != 0) {
    parameter.copy_(tensor_from_view(view));
    return;
  }
  parameter.copy_(torch::from_blob(const_cast<std::uint8_t*>(view.data), view.shape,
                                   torch::TensorOptions().dtype(type)));
}

}  // namespace

void load_parameters(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                     const std::string& source, const std::vector<std::string>& ignore) {
  torch::NoGradGuard no_grad;
  std::set<std::string> ignored(ignore.begin(), ignore.end());
  std::set<std::string> used;
  for (auto& p : module.named_parameters()) {
    auto it = tensors.find(p.key());
    if (it == tensors.end()) {
      if (ignored.count(p.key())) continue;
      refuse_missing(source, p.key());
    }
    require_shape(source, p.key(), it->second.sizes(), p.value());
    if (!it->second.is_floating_point()) refuse_integer(source, p.key());
    p.value().copy_(it->second);
    used.insert(p.key());
  }
  for (const auto& [name, _] : tensors)
    if (!used.count(name) && !ignored.count(name)) refuse_unexpected(source, name);
}

DType checkpoint_dtype(const std::string& dir) {
  std::set<DType> stored;
  for (const auto& file : checkpoint_files(dir)) {
    SafetensorsReader reader(file);
    for (const auto& view : reader.tensors())
      if (is_floating(view.dtype)) stored.insert(view.dtype);
  }
  return stored.size() == 1 ? *stored.begin() : DType::F32;
}

DType load_checkpoint_parameters(torch::nn::Module& module, const std::string& dir,
                                 const std::vector<std::string>& ignore) {
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> parameters;
  for (auto& p : module.named_parameters()) parameters.emplace(p.key(), p.value());
  const std::set<std::string> ignored(ignore.begin(), ignore.end());
  std::set<std::string> used;
  std::set<DType> stored;
  for (const auto& file : checkpoint_files(dir)) {
    SafetensorsReader reader(file);
    for (const auto& view : reader.tensors()) {
      auto it = parameters.find(view.name);
      if (it == parameters.end()) {
        if (ignored.count(view.name)) continue;
        refuse_unexpected(dir, view.name);
      }
      require_shape(dir, view.name, view.shape, it->second);
      if (!is_floating(view.dtype)) refuse_integer(dir, view.name);
      copy_view_into(view, it->second);
      reader.release(view);
      used.insert(view.name);
      stored.insert(view.dtype);
    }
  }
  for (const auto& [name, _] : parameters)
    if (!used.count(name) && !ignored.count(name)) refuse_missing(dir, name);
  return stored.size() == 1 ? *stored.begin() : DType::F32;
}

namespace {

struct PreparedTensor {
  std::string name;
  torch::Tensor data;  // contiguous, in the target dtype
};

void write_one(const std::string& path, const std::vector<PreparedTensor>& tensors, DType dtype) {
  std::vector<TensorBytes> bytes;
  for (const auto& t : tensors)
    bytes.push_back({t.name, dtype, t.data.sizes().vec(), t.data.data_ptr(),
                     static_cast<std::size_t>(t.data.numel() * t.data.element_size())});
  write_safetensors(path, bytes, {{"format", "pt"}});
}

}  // namespace

void write_checkpoint_tensors(const std::string& dir,
                              const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                              DType dtype, std::size_t max_shard_bytes) {
  if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
    throw std::invalid_argument("checkpoints are written as F32, F16 or BF16, not " +
                                dtype_name(dtype));
  fs::create_directories(dir);
  std::vector<std::vector<PreparedTensor>> shards(1);
  std::size_t shard_bytes = 0, total = 0;
  for (const auto& [name, t] : tensors) {
    auto data = t.detach().to(torch::kCPU, to_scalar_type(dtype)).contiguous();
    std::size_t n = data.numel() * data.element_size();
    if (shard_bytes > 0 && shard_bytes + n > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back({name, data});
    shard_bytes += n;
    total += n;
  }
  const auto single = (fs::path(dir) / "model.safetensors").string();
  const auto index = (fs::path(dir) / "model.safetensors.index.json").string();
  if (shards.size() == 1) {
    write_one(single, shards[0], dtype);
    fs::remove(index);
    return;
  }
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  const auto n = shards.size();
  for (std::size_t i = 0; i < n; ++i) {
    char file[64];
    std::snprintf(file, sizeof file, "model-%05zu-of-%05zu.safetensors", i + 1, n);
    write_one((fs::path(dir) / file).string(), shards[i], dtype);
    for (const auto& t : shards[i]) weight_map[t.name] = file;
  }
  nlohmann::ordered_json j = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
  write_file_atomic(index, j.dump(2) + "\n");
  fs::remove(single);
}

}  // namespace chosei
