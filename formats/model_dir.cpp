#include "formats/model_dir.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"
#include "formats/peft_adapter.h"
#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"
#include "model/lora.h"

namespace chosei {

namespace fs = std::filesystem;
using nlohmann::json;

bool has_tokenizer_files(const std::string& dir) {
  return fs::exists(fs::path(dir) / "tokenizer.json") ||
         fs::exists(fs::path(dir) / "tokenizer.model") ||
         fs::exists(fs::path(dir) / "tokenizer.bin");
}

void grow_to_adapter_vocabulary(LoadedModel& m, const std::string& adapter_dir) {
  SafetensorsReader reader((fs::path(adapter_dir) / "adapter_model.safetensors").string());
  const std::string embed = "base_model.model.model.embed_tokens.weight";
  if (reader.contains(embed) && reader.tensor(embed).shape[0] != m.model->config().vocab_size)
    m.model = resize_token_embeddings(m.model, reader.tensor(embed).shape[0]);
}

LoadedModel load_model_with_adapter(const std::string& base, const std::string& dir,
                                    bool require_tokenizer) {
  LoadedModel m = load_model_dir(base, false);
  grow_to_adapter_vocabulary(m, dir);
  load_lora_adapter(dir, *m.model);
  m.model->eval();
  m.dir = dir;
  if (has_tokenizer_files(dir))
    m.tokenizer = load_tokenizer(dir);
  else if (has_tokenizer_files(base))
    m.tokenizer = load_tokenizer(base);
  else if (require_tokenizer)
    throw std::runtime_error(dir + ": no tokenizer in the adapter or its base");
  return m;
}

std::string adapter_base_dir(const std::string& adapter_dir) {
  auto j = json::parse(read_file((fs::path(adapter_dir) / "adapter_config.json").string()), nullptr,
                       false);
  const std::string base = j.is_object() ? j.value("base_model_name_or_path", "") : "";
  if (base.empty() || !fs::is_directory(base))
    throw std::runtime_error(adapter_dir + "/adapter_config.json: base_model_name_or_path \"" +
                             base + "\" is not a model directory here");
  return base;
}

LoadedModel load_model_dir(const std::string& dir, bool require_tokenizer,
                           torch::ScalarType frozen_base) {
  if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": not a model directory");
  if (!fs::exists(fs::path(dir) / "config.json") &&
      fs::exists(fs::path(dir) / "adapter_config.json"))
    return load_model_with_adapter(adapter_base_dir(dir), dir, require_tokenizer);
  LoadedModel m;
  m.dir = dir;
  auto config = load_model_config((fs::path(dir) / "config.json").string());
  m.model = LlamaForCausalLM(config);
  if (frozen_base != torch::kFloat32) {
    for (auto& p : m.model->parameters()) p.set_requires_grad(false);
    hold_frozen_base(*m.model, frozen_base);
  }
  std::vector<std::string> ignore;
  if (config.tie_word_embeddings)
    ignore.push_back("lm_head.weight");  // some exporters store the tied copy
  m.stored_dtype = load_checkpoint_parameters(*m.model, dir, ignore);
  m.model->eval();
  if (has_tokenizer_files(dir))
    m.tokenizer = load_tokenizer(dir);
  else if (require_tokenizer)
    throw std::runtime_error(dir + ": no tokenizer.json, tokenizer.model or tokenizer.bin");
  auto gen = fs::path(dir) / "generation_config.json";
  if (fs::exists(gen)) m.generation_config_json = read_file(gen.string());
  return m;
}

std::vector<TokenId> LoadedModel::eos_ids() const {
  std::vector<TokenId> ids;
  if (!generation_config_json.empty()) {
    auto j = json::parse(generation_config_json, nullptr, false);
    if (j.is_object() && j.contains("eos_token_id")) {
      if (j["eos_token_id"].is_number_integer())
        ids.push_back(j["eos_token_id"].get<TokenId>());
      else if (j["eos_token_id"].is_array())
        for (const auto& v : j["eos_token_id"])
          if (v.is_number_integer()) ids.push_back(v.get<TokenId>());
    }
  }
  if (ids.empty())
    for (auto id : model->config().eos_token_ids) ids.push_back(static_cast<TokenId>(id));
  if (ids.empty() && tokenizer.tokenizer && tokenizer.tokenizer->eos_id() >= 0)
    ids.push_back(tokenizer.tokenizer->eos_id());
  return ids;
}

std::string default_generation_config(const ModelConfig& config) {
  json j = json::object();
  if (config.bos_token_id >= 0) j["bos_token_id"] = config.bos_token_id;
  if (config.eos_token_ids.size() == 1)
    j["eos_token_id"] = config.eos_token_ids[0];
  else if (!config.eos_token_ids.empty())
    j["eos_token_id"] = config.eos_token_ids;
  if (config.pad_token_id >= 0) j["pad_token_id"] = config.pad_token_id;
  return j.dump(2) + "\n";
}

void save_model_dir(const std::string& dir, const LoadedModel& m, DType dtype) {
  fs::create_directories(dir);
  auto config = m.model->config();
  config.torch_dtype = torch_dtype_name(dtype);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : m.model->named_parameters()) tensors.emplace_back(p.key(), p.value());
  write_checkpoint_tensors(dir, tensors, dtype);
  save_model_config(config, (fs::path(dir) / "config.json").string());
  if (m.tokenizer.tokenizer) save_tokenizer(m.tokenizer, dir);
  write_file_atomic((fs::path(dir) / "generation_config.json").string(),
                    m.generation_config_json.empty() ? default_generation_config(config)
                                                     : m.generation_config_json);
}

}  // namespace chosei
