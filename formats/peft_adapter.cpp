#include "formats/peft_adapter.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "base/atomic_file.h"
#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"

namespace chosei {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kPrefix = "base_model.model.";

}  // namespace

void save_lora_adapter(const std::string& dir, torch::nn::Module& model, const LoraConfig& config) {
  fs::create_directories(dir);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (auto& [name, proj] : adapted_projections(model)) {
    tensors.emplace_back(kPrefix + name + ".lora_A.weight", proj->lora_A());
    tensors.emplace_back(kPrefix + name + ".lora_B.weight", proj->lora_B());
  }
  for (auto& p : model.named_parameters())
    for (const auto& m : config.modules_to_save)
      if (p.key().find(m + ".") != std::string::npos && p.key().find("lora_") == std::string::npos)
        tensors.emplace_back(kPrefix + p.key(), p.value());
  write_checkpoint_tensors(dir, tensors);
  fs::rename(fs::path(dir) / "model.safetensors", fs::path(dir) / "adapter_model.safetensors");
  json j = {{"peft_type", "LORA"},
            {"task_type", config.task_type},
            {"r", config.r},
            {"lora_alpha", config.alpha},
            {"lora_dropout", config.dropout},
            {"target_modules", lora_targets(model, config)},
            {"modules_to_save",
             config.modules_to_save.empty() ? json(nullptr) : json(config.modules_to_save)},
            {"bias", "none"},
            {"fan_in_fan_out", false},
            {"inference_mode", true},
            {"base_model_name_or_path", config.base_model}};
  write_file_atomic((fs::path(dir) / "adapter_config.json").string(), j.dump(2) + "\n");
}

// Variants that change the update (DoRA, rsLoRA's scale, per-module ranks, trained biases,
// a subset of layers) are refused by name rather than loaded as plain LoRA.
void refuse_unsupported_lora_fields(const json& j, const std::string& source) {
  auto set = [&](const char* key) {
    if (!j.contains(key) || j[key].is_null()) return false;
    const auto& v = j[key];
    return v.is_boolean() ? v.get<bool>() : v.is_object() || v.is_array() ? !v.empty() : true;
  };
  for (const char* key : {"use_dora", "use_rslora", "rank_pattern", "alpha_pattern",
                          "layers_to_transform", "target_parameters", "trainable_token_indices"})
    if (set(key)) throw std::runtime_error(source + ": field \"" + key + "\" is not supported");
  if (j.contains("bias") && j["bias"].is_string() && j["bias"] != "none")
    throw std::runtime_error(source + ": field \"bias\": only \"none\" is supported");
}

LoraConfig read_lora_config(const std::string& dir) {
  const auto config_path = (fs::path(dir) / "adapter_config.json").string();
  auto j = json::parse(read_file(config_path), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error(config_path + ": not a JSON object");
  if (j.value("peft_type", "") != "LORA")
    throw std::runtime_error(config_path + ": peft_type is not LORA");
  LoraConfig c;
  c.r = j.value("r", 8);
  c.alpha = j.value("lora_alpha", 8.0);
  c.dropout = 0;  // inference
  if (j.contains("target_modules") && j["target_modules"].is_array())
    c.target_modules = j["target_modules"].get<std::vector<std::string>>();
  else if (j.contains("target_modules") && !j["target_modules"].is_null())
    throw std::runtime_error(config_path + ": field \"target_modules\": only a list of module " +
                             "names is supported, got " + j["target_modules"].dump());
  if (j.contains("modules_to_save") && j["modules_to_save"].is_array())
    c.modules_to_save = j["modules_to_save"].get<std::vector<std::string>>();
  // Current PEFT writes null for what is unset.
  auto text = [&](const char* key, const std::string& fallback) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
  };
  c.base_model = text("base_model_name_or_path", "");
  c.task_type = text("task_type", "CAUSAL_LM");
  refuse_unsupported_lora_fields(j, config_path);
  return c;
}

namespace {

// Copies the adapter (and modules_to_save) tensors of `dir` into the attached adapters;
// every tensor of the file must be used and every adapter found.
void load_lora_weights(const std::string& dir, const LoraConfig& c, torch::nn::Module& model) {
  const auto weights = (fs::path(dir) / "adapter_model.safetensors").string();
  if (!fs::exists(weights))
    throw std::runtime_error(
        dir + ": no adapter_model.safetensors (PEFT's pickled .bin adapters are not read)");
  SafetensorsReader reader(weights);
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  for (auto& p : model.named_parameters()) {
    const std::string key = kPrefix + p.key();
    bool adapter = p.key().find("lora_") != std::string::npos;
    bool saved = false;
    for (const auto& m : c.modules_to_save)
      saved = saved || p.key().find(m + ".") != std::string::npos;
    if (!adapter && !saved) continue;
    if (!reader.contains(key))
      throw std::runtime_error(weights + ": missing tensor \"" + key + "\"");
    auto t = tensor_from_view(reader.tensor(key));
    if (t.sizes() != p.value().sizes())
      throw std::runtime_error(weights + ": tensor \"" + key + "\" has shape " +
                               c10::str(t.sizes()) + ", expected " + c10::str(p.value().sizes()));
    p.value().copy_(t);
    used.insert(key);
  }
  for (const auto& view : reader.tensors())
    if (!used.count(view.name))
      throw std::runtime_error(weights + ": unexpected tensor \"" + view.name + "\"");
}

}  // namespace

LoraConfig load_lora_adapter(const std::string& dir, torch::nn::Module& model) {
  const LoraConfig c = read_lora_config(dir);
  apply_lora(model, c);
  load_lora_weights(dir, c, model);
  for (auto& p : model.parameters()) p.set_requires_grad(false);
  invalidate_precision_caches(model);
  return c;
}

namespace {

// The type `config` holds the frozen base in; fp32 means as loaded.
torch::ScalarType frozen_base_type(const LoraConfig& config, DType stored) {
  // read_lora_settings has checked the name; "auto" keeps a half-precision checkpoint's type.
  if (config.base_dtype != "auto")
    return to_scalar_type(dtype_from_precision_name(config.base_dtype));
  return stored == DType::BF16 || stored == DType::F16 ? to_scalar_type(stored) : torch::kFloat32;
}

}  // namespace

torch::ScalarType frozen_base_type(const LoraConfig* lora, const std::string& model_dir) {
  if (!lora) return torch::kFloat32;
  // An adapter directory's base loads widened (the adapter attaches to it first).
  if (lora->base_dtype == "auto" && !fs::exists(fs::path(model_dir) / "config.json"))
    return torch::kFloat32;
  return frozen_base_type(*lora,
                          lora->base_dtype == "auto" ? checkpoint_dtype(model_dir) : DType::F32);
}

std::vector<std::pair<std::string, torch::Tensor>> start_lora_training(torch::nn::Module& model,
                                                                       const LoraConfig& config,
                                                                       std::uint64_t seed,
                                                                       DType stored) {
  const auto base_type = frozen_base_type(config, stored);
  torch::manual_seed(seed);
  auto trainable = apply_lora(model, config);
  if (!config.init_from.empty()) {
    load_lora_weights(config.init_from, config, model);
    invalidate_precision_caches(model);
  }
  if (base_type != torch::kFloat32) hold_frozen_base(model, base_type);
  return trainable;
}

}  // namespace chosei
