#include "model/lora.h"

#include <set>
#include <stdexcept>

namespace chosei {

namespace {

std::string last_component(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

std::vector<std::pair<std::string, ProjectionImpl*>> adapted_projections(torch::nn::Module& model) {
  std::vector<std::pair<std::string, ProjectionImpl*>> out;
  for (auto& item : model.named_modules("", false))
    if (auto* p = item.value()->as<ProjectionImpl>(); p && p->has_lora())
      out.emplace_back(item.key(), p);
  return out;
}

std::vector<std::string> lora_targets(torch::nn::Module& model, const LoraConfig& config) {
  if (!config.target_modules.empty()) return config.target_modules;
  for (auto& item : model.named_modules("", true))
    if (auto* backbone = item.value()->as<LlamaBackboneImpl>())
      return backbone->config().architecture().lora_default_targets;
  throw std::invalid_argument("LoRA: no target modules given and no decoder to default from");
}

std::vector<std::pair<std::string, torch::Tensor>> apply_lora(torch::nn::Module& model,
                                                              const LoraConfig& config) {
  for (auto& p : model.parameters()) p.set_requires_grad(false);
  const auto wanted = lora_targets(model, config);
  std::set<std::string> targets(wanted.begin(), wanted.end()), hit;
  std::vector<std::pair<std::string, torch::Tensor>> trainable;
  for (auto& item : model.named_modules("", false)) {
    auto* proj = item.value()->as<ProjectionImpl>();
    const auto leaf = last_component(item.key());
    if (!proj || !targets.count(leaf)) continue;
    proj->add_lora(config.r, config.alpha, config.dropout);
    trainable.emplace_back(item.key() + ".lora_A.weight", proj->lora_A());
    trainable.emplace_back(item.key() + ".lora_B.weight", proj->lora_B());
    hit.insert(leaf);
  }
  for (const auto& t : targets)
    if (!hit.count(t))
      throw std::invalid_argument("LoRA target module \"" + t + "\" matches no projection");
  for (auto& p : model.named_parameters()) {
    for (const auto& m : config.modules_to_save)
      if (p.key().find(m + ".") != std::string::npos) {
        // Trained whole: in fp32 even when the base was loaded in half precision.
        if (p.value().scalar_type() != torch::kFloat32) {
          torch::NoGradGuard no_grad;
          p.value().set_data(p.value().to(torch::kFloat32));
        }
        p.value().set_requires_grad(true);
        trainable.emplace_back(p.key(), p.value());
      }
  }
  invalidate_precision_caches(model);
  return trainable;
}

void hold_frozen_base(torch::nn::Module& model, torch::ScalarType type) {
  if (type != torch::kBFloat16 && type != torch::kFloat16)
    throw std::invalid_argument("a frozen base is held in bf16 or fp16");
  torch::NoGradGuard no_grad;
  auto narrow = [type](torch::Tensor& t) {
    if (t.defined() && !t.requires_grad() && t.is_floating_point()) t.set_data(t.to(type));
  };
  for (auto& item : model.named_modules("", false)) {
    if (auto* proj = item.value()->as<ProjectionImpl>()) {
      narrow(proj->weight);
      narrow(proj->bias);
    } else if (auto* table = item.value()->as<torch::nn::EmbeddingImpl>()) {
      narrow(table->weight);
    }
  }
  invalidate_precision_caches(model);
}

void merge_lora(torch::nn::Module& model) {
  for (auto& [name, proj] : adapted_projections(model)) proj->merge_lora();
  invalidate_precision_caches(model);
}

LoraDisabled::LoraDisabled(torch::nn::Module& model) {
  for (auto& [name, proj] : adapted_projections(model)) {
    proj->set_lora_enabled(false);
    projections_.push_back(proj);
  }
  // Fused inference weights never include adapters (adapted parts run separately), so
  // the base's caches stay valid either way.
}

LoraDisabled::~LoraDisabled() {
  for (auto* proj : projections_) proj->set_lora_enabled(true);
}

}  // namespace chosei
