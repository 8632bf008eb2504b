#pragma once
// Hugging Face model directories: config.json, model.safetensors (or shards),
// tokenizer files, tokenizer_config.json, generation_config.json.
//
//   auto m = load_model_dir("models/stories260K");
//   m.model->forward(ids);
//   save_model_dir("out/copy", m);

#include <string>

#include "formats/dtype.h"
#include "model/llama_model.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei {

struct LoadedModel {
  std::string dir;
  LlamaForCausalLM model{nullptr};
  LoadedTokenizer tokenizer;           // tokenizer.tokenizer is null when absent
  std::string generation_config_json;  // as read, "" when absent
  // The type the checkpoint stores its weights in (F32 when mixed or made here): a LoRA run
  // holds a half-precision base as it came, and full models are saved back in it.
  DType stored_dtype = DType::F32;

  // EOS ids for generation: generation_config.json's, else config.json's, else the tokenizer's.
  std::vector<TokenId> eos_ids() const;
};

// Throws std::runtime_error naming the directory and the missing or invalid file.
// `frozen_base` bf16 or fp16: the model is a LoRA run's frozen base, its parameters frozen and
// its projections and embeddings read straight into that type (hold_frozen_base), so the
// fp32 copy never exists; fp32 loads a trainable model.
LoadedModel load_model_dir(const std::string& dir, bool require_tokenizer = true,
                           torch::ScalarType frozen_base = torch::kFloat32);

// The base model with a PEFT LoRA adapter attached (not merged): embeddings grown to the
// adapter's vocabulary when it saved resized ones; the adapter's tokenizer when it has one.
// A directory holding only an adapter (adapter_config.json, no config.json) loads the same
// way through load_model_dir, on the base its config names.
LoadedModel load_model_with_adapter(const std::string& base_dir, const std::string& adapter_dir,
                                    bool require_tokenizer = true);

// The base model directory an adapter's adapter_config.json names (base_model_name_or_path);
// throws naming the file when it is missing or not a directory here.
std::string adapter_base_dir(const std::string& adapter_dir);

// Whether `dir` holds tokenizer.json, tokenizer.model or tokenizer.bin.
bool has_tokenizer_files(const std::string& dir);

// Grows m's embeddings to the vocabulary of the adapter in `adapter_dir` when it saved
// resized ones (modules_to_save embed_tokens), so that the adapter loads onto m.
void grow_to_adapter_vocabulary(LoadedModel& m, const std::string& adapter_dir);

// Writes config.json, the weights (in `dtype`), the tokenizer files and
// generation_config.json, each atomically.
void save_model_dir(const std::string& dir, const LoadedModel& model, DType dtype = DType::F32);

// A generation_config.json for `config` (bos/eos ids), as transformers writes one.
std::string default_generation_config(const ModelConfig& config);

}  // namespace chosei
