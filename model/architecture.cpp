#include "model/architecture.h"

#include <stdexcept>

#include "model/architectures/entries.h"

namespace chosei {

const std::vector<const Architecture*>& architectures() {
  static const std::vector<const Architecture*> all = {
      &families::llama(),       &families::mistral(), &families::qwen2(), &families::qwen3(),
      &families::gemma3_text(), &families::smollm3(), &families::phi3(),
  };
  return all;
}

namespace {

std::string names(std::string Architecture::*field) {
  std::string out;
  for (const auto* a : architectures())
    if (out.find((*a).*field) == std::string::npos) out += (out.empty() ? "" : ", ") + (*a).*field;
  return out;
}

}  // namespace

const Architecture& architecture_for_model_type(const std::string& model_type) {
  for (const auto* a : architectures())
    if (a->model_type == model_type) return *a;
  throw std::invalid_argument("model_type \"" + model_type + "\" is not supported (" +
                              names(&Architecture::model_type) + ")");
}

const Architecture& architecture_for_gguf(const std::string& gguf_name) {
  for (const auto* a : architectures())
    if (a->gguf_name == gguf_name) return *a;
  throw std::invalid_argument("GGUF architecture \"" + gguf_name + "\" is not supported (" +
                              names(&Architecture::gguf_name) + ")");
}

}  // namespace chosei
