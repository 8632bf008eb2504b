// `chosei model init|info|import`: create, describe and convert model directories.

#include <torch/torch.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "formats/gguf_import.h"
#include "formats/llama2c_import.h"
#include "formats/model_dir.h"
#include "formats/safetensors_reader.h"
#include "formats/tensor_io.h"
#include "tokenizer/chat_messages.h"

namespace chosei::cli {

namespace {

struct InitArgs {
  std::string config, preset, tokenizer, out;
  std::uint64_t seed = 0;
};

void run_init(const InitArgs& a) {
  LoadedModel m;
  m.tokenizer = load_tokenizer(a.tokenizer);
  const auto& tok = *m.tokenizer.tokenizer;
  ModelConfig c =
      a.config.empty() ? model_preset(a.preset, tok.vocab_size()) : load_model_config(a.config);
  if (c.vocab_size < tok.vocab_size())
    throw std::invalid_argument("config vocab_size " + std::to_string(c.vocab_size) +
                                " is smaller than the tokenizer's " +
                                std::to_string(tok.vocab_size()) + " tokens");
  c.bos_token_id = tok.bos_id();
  c.eos_token_ids.clear();
  if (tok.eos_id() >= 0) c.eos_token_ids.push_back(tok.eos_id());
  TokenId pad =
      m.tokenizer.config.pad_token.empty() ? -1 : tok.token_to_id(m.tokenizer.config.pad_token);
  c.pad_token_id = pad;
  m.model = LlamaForCausalLM(c);
  m.model->initialize(a.seed);
  save_model_dir(a.out, m);
  std::cout << "initialized " << c.model_type << " with " << c.parameter_count()
            << " parameters in " << a.out << "\n";
}

std::string human_count(std::int64_t n) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2);
  if (n >= 1000000000)
    s << n / 1e9 << "B";
  else if (n >= 1000000)
    s << n / 1e6 << "M";
  else if (n >= 1000)
    s << n / 1e3 << "K";
  else
    s << n;
  return s.str();
}

void run_info(const std::string& dir, bool as_json) {
  namespace fs = std::filesystem;
  auto c = load_model_config((fs::path(dir) / "config.json").string());
  std::int64_t stored = 0;
  std::set<std::string> dtypes;
  for (const auto& file : checkpoint_files(dir)) {
    SafetensorsReader reader(file);  // headers only: the weights stay on disk
    for (const auto& t : reader.tensors()) {
      stored += static_cast<std::int64_t>(t.numel());
      dtypes.insert(dtype_name(t.dtype));
    }
  }
  std::string tokenizer_kind = "none", chat = "none";
  std::int64_t tokenizer_vocab = 0;
  try {
    auto tok = load_tokenizer(dir);
    tokenizer_kind = tok.tokenizer->kind();
    tokenizer_vocab = tok.tokenizer->vocab_size();
    if (!tok.config.chat_template.empty()) {
      try {
        chat = choose_chat_template(tok.config).name();  // a built-in's name, else "model"
      } catch (const std::invalid_argument& e) {
        chat = std::string("unreadable: ") + e.what();
      }
    }
  } catch (const std::runtime_error&) {
  }
  std::string dtype;
  for (const auto& d : dtypes) dtype += (dtype.empty() ? "" : ",") + d;
  nlohmann::ordered_json j = {{"architecture", c.model_type},
                              {"parameters", c.parameter_count()},
                              {"stored_parameters", stored},
                              {"dtype", dtype},
                              {"vocab_size", c.vocab_size},
                              {"tokenizer", tokenizer_kind},
                              {"tokenizer_vocab_size", tokenizer_vocab},
                              {"context_length", c.max_position_embeddings},
                              {"hidden_size", c.hidden_size},
                              {"layers", c.num_hidden_layers},
                              {"attention_heads", c.num_attention_heads},
                              {"kv_heads", c.num_key_value_heads},
                              {"head_dim", c.effective_head_dim()},
                              {"intermediate_size", c.intermediate_size},
                              {"tied_embeddings", c.tie_word_embeddings},
                              {"qkv_bias", c.attention_bias},
                              {"rope_theta", c.rope.theta},
                              {"chat_template", chat}};
  if (as_json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (auto& [k, v] : j.items()) {
    std::string value = v.is_string() ? v.get<std::string>() : v.dump();
    if (k == "parameters" || k == "stored_parameters")
      value += " (" + human_count(v.get<std::int64_t>()) + ")";
    std::cout << std::left << std::setw(22) << k << value << "\n";
  }
}

}  // namespace

void add_model_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Create, inspect and convert model directories");
  model->require_subcommand(1);

  auto init = std::make_shared<InitArgs>();
  auto* cmd = model->add_subcommand("init", "Create a randomly initialized model (HF-style init)");
  auto* config_opt =
      cmd->add_option("--config", init->config, "HF config.json describing the architecture");
  std::string presets;
  for (const auto& n : model_preset_names()) presets += (presets.empty() ? "" : ", ") + n;
  auto* preset_opt = cmd->add_option("--preset", init->preset, "Named architecture: " + presets);
  config_opt->excludes(preset_opt);
  cmd->add_option("--tokenizer", init->tokenizer,
                  "Tokenizer (model dir, tokenizer.json, .model or .bin)")
      ->required();
  cmd->add_option("--out", init->out, "Output model directory")->required();
  cmd->add_option("--seed", init->seed, "Initialization seed")->capture_default_str();
  cmd->callback([init] {
    if (init->config.empty() && init->preset.empty())
      throw std::invalid_argument("model init needs --config or --preset");
    run_init(*init);
  });

  auto dir = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto* info = model->add_subcommand("info", "Describe a model directory");
  info->add_option("dir", *dir, "Model directory")->required();
  info->add_flag("--json", *as_json, "Print JSON");
  info->callback([dir, as_json] { run_info(*dir, *as_json); });

  struct ImportArgs {
    std::string format, weights, tokenizer, out, dtype = "fp32";
  };
  auto imp = std::make_shared<ImportArgs>();
  auto* import = model->add_subcommand(
      "import", "Convert a checkpoint from another format into an HF directory");
  import->add_option("--format", imp->format, "Source format")
      ->required()
      ->check(CLI::IsMember({"llama2c", "gguf"}));
  import->add_option("--weights", imp->weights, "Checkpoint file (llama2.c .bin, or .gguf)")
      ->required()
      ->check(CLI::ExistingFile);
  import->add_option("--tokenizer", imp->tokenizer,
                     "Tokenizer file (llama2.c tokenizer.bin; a GGUF file carries its own)");
  import->add_option("--out", imp->out, "Output model directory")->required();
  import
      ->add_option("--dtype", imp->dtype,
                   "Type the weights are written in (gguf): fp32 (exact), bf16 or fp16 (rounded)")
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}));
  import->callback([imp] {
    if (imp->format == "gguf") {
      auto s = import_gguf(imp->weights, imp->out, dtype_from_precision_name(imp->dtype));
  std::cout << "imported " << imp->weights << " (" << s.architecture << ", " << s.tensors
            << " tensors) into " << imp->out << "\n";
  return;
}
if (imp->tokenizer.empty())
  throw std::invalid_argument("--format llama2c needs --tokenizer tokenizer.bin");
import_llama2c(imp->weights, imp->tokenizer, imp->out);
std::cout << "imported " << imp->weights << " into " << imp->out << "\n";
}  // namespace chosei::cli
);
}

}  // namespace chosei::cli
