#include "formats/score_model_dir.h"

#include <filesystem>
#include <stdexcept>

#include "base/atomic_file.h"
#include "formats/peft_adapter.h"
#include "formats/tensor_io.h"
#include "model/lora.h"

namespace chosei {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json_object(const fs::path& path) {
  auto j = json::parse(read_file(path.string()), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error(path.string() + ": not a JSON object");
  return j;
}

std::int64_t labels_in(const json& j, const std::string& source) {
  if (j.contains("num_labels")) {
    if (!j["num_labels"].is_number_integer() || j["num_labels"].get<std::int64_t>() < 1)
      throw std::runtime_error(source + ": num_labels is not a positive integer");
    return j["num_labels"].get<std::int64_t>();
  }
  if (j.contains("id2label") && j["id2label"].is_object())
    return static_cast<std::int64_t>(j["id2label"].size());
  return 2;  // transformers' default when a config names neither
}

std::optional<double> number_in(const json& j, const char* key) {
  if (j.contains(key) && j[key].is_number()) return j[key].get<double>();
  return std::nullopt;
}

void load_tokenizer_files(LoadedScoreModel& m, const std::string& dir,
                          const std::string& fallback) {
  for (const auto& d : {dir, fallback}) {
    if (!d.empty() && has_tokenizer_files(d)) {
      m.tokenizer = load_tokenizer(d);
      return;
    }
  }
  throw std::runtime_error(dir + ": no tokenizer.json, tokenizer.model or tokenizer.bin");
}

LoadedScoreModel load_classification_dir(const std::string& dir) {
  const auto config_path = fs::path(dir) / "config.json";
  const json j = read_json_object(config_path);
  LoadedScoreModel m;
  m.dir = dir;
  auto config = load_model_config(config_path.string());
  m.model = LlamaForSequenceClassification(config, labels_in(j, config_path.string()));
  m.stored_dtype = load_checkpoint_parameters(*m.model, dir);
  m.model->eval();
  m.reward_mean = number_in(j, "reward_mean");
  m.reward_std = number_in(j, "reward_std");
  for (const char* key : {"id2label", "label2id"})
    if (j.contains(key)) m.config_extra[key] = j[key];
  load_tokenizer_files(m, dir, "");
  auto gen = fs::path(dir) / "generation_config.json";
  if (fs::exists(gen)) m.generation_config_json = read_file(gen.string());
  return m;
}

const char* kNormalizationFile = "reward_normalization.json";

}  // namespace

LoadedScoreModel load_score_model_with_adapter(const std::string& base, const std::string& dir) {
  LoadedScoreModel m;
  if (is_score_model_dir(base)) {
    m = load_classification_dir(base);
  } else {
    LoadedModel lm = load_model_dir(base, false);
    grow_to_adapter_vocabulary(lm, dir);
    m = score_model_from_causal_lm(std::move(lm), 1, 0);
  }
  load_lora_adapter(dir, *m.model);
  m.model->eval();
  m.head_initialized = false;
  m.dir = dir;
  load_tokenizer_files(m, dir, base);
  const auto norm = fs::path(dir) / kNormalizationFile;
  if (fs::exists(norm)) {
    const json n = read_json_object(norm);
    m.reward_mean = number_in(n, "reward_mean");
    m.reward_std = number_in(n, "reward_std");
  }
  return m;
}

void write_reward_normalization(const std::string& dir, const LoadedScoreModel& m) {
  if (!m.reward_mean || !m.reward_std) return;
  json j = {{"reward_mean", *m.reward_mean}, {"reward_std", *m.reward_std}};
  write_file_atomic((fs::path(dir) / kNormalizationFile).string(), j.dump(2) + "\n");
}

bool is_score_model_dir(const std::string& dir) {
  const auto path = fs::path(dir) / "config.json";
  if (!fs::exists(path)) return false;
  auto j = json::parse(read_file(path.string()), nullptr, false);
  if (!j.is_object() || !j.contains("architectures") || !j["architectures"].is_array())
    return false;
  for (const auto& a : j["architectures"])
    if (a.is_string() &&
        a.get<std::string>().find("ForSequenceClassification") != std::string::npos)
      return true;
  return false;
}

LoadedScoreModel score_model_from_causal_lm(LoadedModel&& lm, std::int64_t num_labels,
                                            std::uint64_t seed) {
  LoadedScoreModel m;
  m.dir = lm.dir;
  m.model = LlamaForSequenceClassification(lm.model->model, lm.model->config(), num_labels, seed);
  m.model->set_precision(lm.model->precision());
  m.tokenizer = std::move(lm.tokenizer);
  m.generation_config_json = std::move(lm.generation_config_json);
  m.stored_dtype = lm.stored_dtype;
  m.head_initialized = true;
  return m;
}

LoadedScoreModel load_score_model_dir(const std::string& dir, std::int64_t num_labels,
                                      std::uint64_t seed) {
  if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": not a model directory");
  if (!fs::exists(fs::path(dir) / "config.json") &&
      fs::exists(fs::path(dir) / "adapter_config.json"))
    return load_score_model_with_adapter(adapter_base_dir(dir), dir);
  if (is_score_model_dir(dir)) return load_classification_dir(dir);
  return score_model_from_causal_lm(load_model_dir(dir), num_labels, seed);
}

void save_score_model_dir(const std::string& dir, const LoadedScoreModel& m, const json& extra,
                          DType dtype) {
  fs::create_directories(dir);
  auto config = m.model->config();
  config.torch_dtype = torch_dtype_name(dtype);
  json j = json::parse(model_config_to_json(config));
  j["architectures"] = {config.architecture().classifier_class};
  const auto labels = m.model->num_labels();
  j["num_labels"] = labels;
  json id2label = json::object(), label2id = json::object();
  for (std::int64_t i = 0; i < labels; ++i) {
    id2label[std::to_string(i)] = "LABEL_" + std::to_string(i);
    label2id["LABEL_" + std::to_string(i)] = i;
  }
  j["id2label"] = id2label;
  j["label2id"] = label2id;
  for (const auto& [k, v] : m.config_extra.items()) j[k] = v;
  // Batched scoring in transformers needs a pad id; the score is read from the mask here.
  if (!j.contains("pad_token_id") || j["pad_token_id"].is_null()) {
    const TokenId eos = m.tokenizer.tokenizer ? m.tokenizer.tokenizer->eos_id() : -1;
    j["pad_token_id"] = eos >= 0 ? eos : 0;
  }
  if (m.reward_mean) j["reward_mean"] = *m.reward_mean;
  if (m.reward_std) j["reward_std"] = *m.reward_std;
  for (const auto& [k, v] : extra.items()) j[k] = v;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : m.model->named_parameters()) tensors.emplace_back(p.key(), p.value());
  write_checkpoint_tensors(dir, tensors, dtype);
  write_file_atomic((fs::path(dir) / "config.json").string(), j.dump(2) + "\n");
  if (m.tokenizer.tokenizer) save_tokenizer(m.tokenizer, dir);
  write_file_atomic((fs::path(dir) / "generation_config.json").string(),
                    m.generation_config_json.empty() ? default_generation_config(config)
                                                     : m.generation_config_json);
}

}  // namespace chosei
