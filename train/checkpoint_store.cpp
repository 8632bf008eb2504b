#include "train/checkpoint_store.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <vector>

#include "base/atomic_file.h"
#include "formats/safetensors_reader.h"
#include "formats/safetensors_writer.h"
#include "formats/tensor_io.h"

namespace chosei {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kTrainable = "trainable.safetensors";
constexpr const char* kOptimizer = "optimizer.pt";
constexpr const char* kState = "trainer_state.json";

// step-N folders (complete or not) under root, oldest first.
std::vector<std::pair<std::int64_t, fs::path>> step_dirs(const fs::path& root) {
  std::vector<std::pair<std::int64_t, fs::path>> out;
  if (!fs::is_directory(root)) return out;
  for (const auto& e : fs::directory_iterator(root)) {
    const auto name = e.path().filename().string();
    if (name.rfind("step-", 0) != 0 || !e.is_directory()) continue;
    const auto digits = name.substr(5);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    out.emplace_back(std::stoll(digits), e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void write_trainable(const std::string& path, const NamedParameters& trainable) {
  std::vector<torch::Tensor> keep;  // contiguous fp32 copies outlive the write
  std::vector<TensorBytes> tensors;
  for (const auto& [name, p] : trainable) {
    keep.push_back(p.detach().to(torch::kFloat32).contiguous());
    const auto& t = keep.back();
    tensors.push_back({name, DType::F32, t.sizes().vec(), t.data_ptr(),
                       static_cast<std::size_t>(t.numel()) * sizeof(float)});
  }
  write_safetensors(path, tensors);
}

void read_trainable(const std::string& path, const NamedParameters& trainable) {
  SafetensorsReader reader(path);
  torch::NoGradGuard no_grad;
  for (const auto& [name, p] : trainable) {
    if (!reader.contains(name))
      throw std::runtime_error(path + ": no tensor " + name +
                               " (the checkpoint is of another model or configuration)");
    auto t = tensor_from_view(reader.tensor(name));
    if (t.sizes() != p.sizes())
      throw std::runtime_error(path + ": " + name + " has shape " + c10::str(t.sizes()) +
                               ", the run expects " + c10::str(p.sizes()));
    p.copy_(t);
  }
  if (reader.tensors().size() != trainable.size())
    throw std::runtime_error(path + ": holds " + std::to_string(reader.tensors().size()) +
                             " tensors, the run trains " + std::to_string(trainable.size()));
}

}  // namespace

CheckpointStore::CheckpointStore(std::string run_dir, std::int64_t keep)
    : root_((fs::path(run_dir) / "checkpoints").string()), keep_(std::max<std::int64_t>(1, keep)) {}

void CheckpointStore::save(std::int64_t step, const json& state,
                           const std::function<void(const std::string&)>& save_model,
                           const NamedParameters& trainable,
                           torch::optim::Optimizer& optimizer) const {
  const auto root = fs::path(root_);
  const auto name = "step-" + std::to_string(step);
  const auto final_dir = root / name;
  const auto tmp = root / (name + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  save_model(tmp.string());
  write_trainable((tmp / kTrainable).string(), trainable);
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  write_file_atomic((tmp / kOptimizer).string(), [&](std::ostream& o) { archive.save_to(o); });
  write_file_atomic((tmp / kState).string(), state.dump(2) + "\n");
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);  // the checkpoint appears whole or not at all
  sync_directory(root.string());
  // Keep the newest K complete checkpoints; leftovers of killed saves go too.
  for (const auto& e : fs::directory_iterator(root))
    if (e.path().extension() == ".tmp") fs::remove_all(e.path());
  auto existing = step_dirs(root);
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_) < existing.size(); ++i)
    fs::remove_all(existing[i].second);
}

bool CheckpointStore::is_complete(const std::string& dir) {
  const fs::path d(dir);
  return fs::exists(d / kTrainable) && fs::exists(d / kOptimizer) && fs::exists(d / kState);
}

std::optional<std::string> CheckpointStore::latest() const {
  auto dirs = step_dirs(root_);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it)
    if (is_complete(it->second.string())) return it->second.string();
  return std::nullopt;
}

json CheckpointStore::load(const std::string& dir, const NamedParameters& trainable,
                           torch::optim::Optimizer& optimizer) {
  if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": no such checkpoint directory");
  for (const char* f : {kState, kTrainable, kOptimizer})
    if (!fs::exists(fs::path(dir) / f))
      throw std::runtime_error(dir + ": not a complete checkpoint (no " + f + ")");
  const auto state_path = (fs::path(dir) / kState).string();
  auto state = json::parse(read_file(state_path), nullptr, false);
  if (state.is_discarded() || !state.is_object() || !state.contains("step"))
    throw std::runtime_error(state_path + ": not a trainer state (JSON with \"step\")");
  read_trainable((fs::path(dir) / kTrainable).string(), trainable);
  torch::serialize::InputArchive archive;
  archive.load_from((fs::path(dir) / kOptimizer).string());
  optimizer.load(archive);
  return state;
}

}  // namespace chosei
