// `chosei export gguf`: a model directory (or a LoRA adapter on its base) as one GGUF file
// for llama.cpp and Ollama.

#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "formats/gguf_export.h"
#include "formats/model_dir.h"
#include "formats/peft_adapter.h"

namespace chosei::cli {

namespace {

struct ExportGgufArgs {
  std::string model, adapter, out, type = "f16", name;
  bool adapter_only = false;
};

// The mixes name a file type, not one ggml type: their matrices' types come per tensor.
GgmlType parse_ggml_type(const std::string& type) {
  if (type == "q4_k_m" || type == "q5_k_m") return GgmlType::Q8_0;  // unused: the mix decides
  return ggml_type_named(type).type;
}

std::string mix_of(const std::string& type) {
  return type == "q4_k_m" || type == "q5_k_m" ? type : "";
}

// The adapter alone, for `llama-cli -m base.gguf --lora adapter.gguf`.
void run_export_gguf_adapter(const ExportGgufArgs& a) {
  namespace fs = std::filesystem;
  // --model ADAPTER (its base named in adapter_config.json) or --model BASE --adapter ADAPTER.
  const bool model_is_adapter = a.adapter.empty();
  const std::string adapter_dir = model_is_adapter ? a.model : a.adapter;
  if (!fs::exists(fs::path(adapter_dir) / "adapter_config.json"))
    throw std::invalid_argument("--adapter-only: " + adapter_dir +
                                " holds no LoRA adapter (adapter_config.json)");
  LoadedModel m =
      model_is_adapter ? load_model_dir(a.model) : load_model_with_adapter(a.model, a.adapter);
  GgufExportOptions options;
  options.type = parse_ggml_type(a.type);
  options.name = a.name;
  auto s = export_gguf_lora_adapter(m, read_lora_config(adapter_dir), a.out, options);
  std::cout << "wrote " << a.out << ": a " << s.architecture << " LoRA adapter, " << s.tensors
            << " tensors, " << s.bytes << " bytes (" << a.type << ")\n";
}

void run_export_gguf(const ExportGgufArgs& a) {
  if (a.adapter_only) return run_export_gguf_adapter(a);
  LoadedModel m =
      a.adapter.empty() ? load_model_dir(a.model) : load_model_with_adapter(a.model, a.adapter);
  // The tokenizer travels with the adapter when fine-tuning added tokens to it.
  std::string tokenizer_dir = a.model;
  if (!a.adapter.empty() && has_tokenizer_files(a.adapter)) tokenizer_dir = a.adapter;
  if (a.adapter.empty() && !has_tokenizer_files(a.model)) tokenizer_dir = adapter_base_dir(a.model);
  GgufExportOptions options;
  options.type = parse_ggml_type(a.type);
  options.mix = mix_of(a.type);
  options.name = a.name;
  auto s = export_gguf(m, tokenizer_dir, a.out, options);
  std::cout << "wrote " << a.out << ": " << s.architecture << ", " << s.tensors << " tensors, "
            << s.bytes << " bytes of weights (" << a.type;
  if (!options.mix.empty()) {
    std::cout << ":";
    for (const auto& [type, count] : s.types) std::cout << " " << count << " " << type;
  } else if (options.type != GgmlType::F32 && options.type != GgmlType::F16 &&
             options.type != GgmlType::BF16) {
    std::cout << ": " << s.quantized << " matrices " << ggml_type_name(options.type) << ", "
              << s.kept_f16 << " kept F16 (rows not a multiple of 32)";
  }
  std::cout << ")\n";
}

}  // namespace

void add_export_commands(CLI::App& app) {
  auto* exp = app.add_subcommand("export", "Export a model for other runtimes");
  exp->require_subcommand(1);
  auto a = std::make_shared<ExportGgufArgs>();
  auto* gguf = exp->add_subcommand(
      "gguf", "One GGUF file for llama.cpp / Ollama: weights, tokenizer, chat template");
  gguf->add_option("--model", a->model, "Model directory (or an adapter directory)")
      ->required()
      ->check(CLI::ExistingDirectory);
  gguf->add_option("--adapter", a->adapter, "LoRA adapter merged into --model before export")
      ->check(CLI::ExistingDirectory);
  gguf->add_option("--out", a->out, "Output .gguf file")->required();
  gguf->add_flag("--adapter-only", a->adapter_only,
                 "Write the LoRA adapter alone as a llama.cpp adapter GGUF (llama-cli --lora) "
                 "instead of merging it");
  gguf->add_option("--type", a->type,
                   "Matrix element type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, or the "
                   "mixes q4_k_m / q5_k_m (llama-quantize's, without an importance matrix)")
      ->check(CLI::IsMember(
          {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q5_k_m"}))
      ->capture_default_str();
  gguf->add_option("--name", a->name, "general.name (default: the model directory's name)");
  gguf->callback([a] { run_export_gguf(*a); });
}

}  // namespace chosei::cli
