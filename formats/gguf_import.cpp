// GGUF → config.json + model.safetensors + tokenizer files, for every family of the
// architecture registry. Metadata becomes the config transformers' own GGUF loader would
// make (and llama.cpp would run); every tensor is dequantized through the ggml type table.
// A tensor or a metadata key that would change the math and that the import does not read
// is an error naming it.

#include "formats/gguf_import.h"

#include <torch/torch.h>

#include <charconv>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "formats/gguf_export.h"
#include "formats/gguf_layer_layout.h"
#include "formats/gguf_reader.h"
#include "formats/gguf_rope_scaling.h"
#include "formats/gguf_tensor_names.h"
#include "formats/gguf_tokenizer_files.h"
#include "formats/gguf_vocabulary.h"
#include "formats/model_dir.h"

namespace chosei {

namespace {

// The inverse of gguf_export's interleave: each head's interleaved pairs back to HF's
// [first half | second half] rows.
torch::Tensor deinterleave_rope_rows(const torch::Tensor& w, std::int64_t heads) {
  auto sizes = w.sizes().vec();
  std::vector<std::int64_t> split = {heads, sizes[0] / heads / 2, 2};
  split.insert(split.end(), sizes.begin() + 1, sizes.end());
  return w.reshape(split).transpose(1, 2).reshape(sizes).contiguous();
}

// GGUF stores these as f32: 1e-5 reads back as 9.99999974737875e-06. The shortest decimal
// that rounds to the same f32 is what config.json held before export.
double shortest_decimal(double stored_f32) {
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, static_cast<float>(stored_f32)).ptr;
  return std::stod(std::string(buf, end));
}

// Metadata keys of the architecture's namespace the import reads; any other key there is
// refused, since llama.cpp would run the model differently from what chosei imports.
const std::set<std::string>& read_keys() {
  static const std::set<std::string> keys = {"context_length",
                                             "embedding_length",
                                             "block_count",
                                             "feed_forward_length",
                                             "attention.head_count",
                                             "attention.head_count_kv",
                                             "attention.layer_norm_rms_epsilon",
                                             "rope.freq_base",
                                             "rope.dimension_count",
                                             "attention.key_length",
                                             "attention.value_length",
                                             "vocab_size",
                                             "attention.sliding_window",
                                             "rope.scaling.type",
                                             "rope.scaling.factor",
                                             "rope.scaling.original_context_length",
                                             "rope.scaling.attn_factor",
                                             "rope.scaling.finetuned",
                                             "expert_count",
                                             "expert_used_count"};
  return keys;
}

void check_known_keys(const GgufReader& r, const std::string& arch) {
  for (const auto& [key, value] : r.metadata()) {
    if (key.rfind(arch + ".", 0) != 0) continue;
    const auto rest = key.substr(arch.size() + 1);
    if (!read_keys().count(rest))
      throw std::runtime_error(r.path() + ": GGUF metadata " + key +
                               " is not read by the import (it would change the model)");
    if ((rest == "expert_count" || rest == "expert_used_count") && value.as_uint(key) > 0)
      throw std::runtime_error(r.path() + ": " + key +
                               ": mixture-of-experts models are not supported");
  }
}

void read_attention_layout(const GgufReader& r, const std::string& arch, ModelConfig& c) {
  const auto* window = r.find(arch + ".attention.sliding_window");
  const Architecture& a = c.architecture();
  if (window && window->as_uint(arch + ".attention.sliding_window") > 0) {
    if (a.windows == WindowSource::kNone || a.windows == WindowSource::kUseSlidingFlag)
      throw std::runtime_error(r.path() + ": " + arch +
                               ".attention.sliding_window is not read for " + a.model_type);
    c.sliding_window =
        static_cast<std::int64_t>(window->as_uint(arch + ".attention.sliding_window"));
  }
  apply_llama_cpp_layout(c);
}

ModelConfig config_from(const GgufReader& r, const std::string& arch, const GgufVocabulary& v) {
  auto u = [&](const std::string& k) {
    return static_cast<std::int64_t>(r.at(arch + "." + k).as_uint(arch + "." + k));
  };
  auto f = [&](const std::string& k, double fallback) {
    auto* x = r.find(arch + "." + k);
    return x ? x->as_float(arch + "." + k) : fallback;
  };
  check_known_keys(r, arch);
  ModelConfig c;
  c.model_type = architecture_for_gguf(arch).model_type;
  c.hidden_size = u("embedding_length");
  c.intermediate_size = u("feed_forward_length");
  c.num_hidden_layers = u("block_count");
  c.num_attention_heads = u("attention.head_count");
  c.num_key_value_heads = r.find(arch + ".attention.head_count_kv") ? u("attention.head_count_kv")
                                                                    : c.num_attention_heads;
  c.max_position_embeddings = u("context_length");
  c.rms_norm_eps = shortest_decimal(f("attention.layer_norm_rms_epsilon", 1e-5));
  const bool local = c.architecture().local_rope;
  c.rope.theta = shortest_decimal(f("rope.freq_base", local ? 1000000.0 : 10000.0));
  if (r.find(arch + ".attention.key_length")) {
    const auto head_dim = u("attention.key_length");
    if (head_dim != c.hidden_size / c.num_attention_heads) c.head_dim = head_dim;
  }
  if (r.find(arch + ".rope.dimension_count")) {  // partial rotary: the share of a head rotated
    const auto rotated = u("rope.dimension_count");
    c.rope.partial_rotary_factor =
        static_cast<double>(rotated) / static_cast<double>(c.effective_head_dim());
    if (c.rope.rotary_dim(c.effective_head_dim()) != rotated)
      throw std::runtime_error(r.path() + ": " + arch + ".rope.dimension_count " +
                               std::to_string(rotated) + " of a head of " +
                               std::to_string(c.effective_head_dim()) + " is not representable");
  }
  c.vocab_size = static_cast<std::int64_t>(v.tokens.size());
  c.tie_word_embeddings = r.find_tensor("output.weight") == nullptr;
  c.attention_bias = r.find_tensor("blk.0.attn_q.bias") != nullptr;
  if (c.architecture().attention_bias_fixed) c.attention_bias = true;
  read_attention_layout(r, arch, c);
  read_gguf_rope_scaling(r, arch, c);
  c.bos_token_id = v.bos;
  if (v.eos >= 0) c.eos_token_ids = {v.eos};
  if (v.eot >= 0 && v.eot != v.eos) c.eos_token_ids.push_back(v.eot);
  c.pad_token_id = v.pad;
  c.validate(r.path());
  return c;
}

// Every tensor of the file is one parameter's (or RoPE scaling, read into the config).
void check_every_tensor_used(const GgufReader& r, const std::set<std::string>& used) {
  for (const auto& t : r.tensors())
    if (!used.count(t.name) && !is_gguf_rope_scaling_tensor(t.name))
      throw std::runtime_error(r.path() + ": tensor " + t.name +
                               " is not read by the import (it has no place in the model)");
}

}  // namespace

GgufImportSummary import_gguf(const std::string& gguf_path, const std::string& out_dir,
                              DType dtype) {
  GgufReader r(gguf_path);
  GgufImportSummary summary;
  summary.architecture = r.at("general.architecture").as_string("general.architecture");
  architecture_for_gguf(summary.architecture);  // refuses families chosei does not run
  const GgufVocabulary vocab = read_vocabulary(r);
  const ModelConfig config = config_from(r, summary.architecture, vocab);
  const Architecture& arch = config.architecture();

  std::filesystem::create_directories(out_dir);
  write_tokenizer_files(vocab, out_dir);
  LoadedModel m;
  m.dir = out_dir;
  m.tokenizer = load_tokenizer(out_dir);
  m.model = LlamaForCausalLM(config);
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  for (auto& p : m.model->named_parameters()) {
    const std::string name = gguf_tensor_name(p.key(), arch);
    const GgufTensorInfo* t = r.find_tensor(name);
    if (!t)
      throw std::runtime_error(gguf_path + ": tensor " + name + " (for " + p.key() +
                               ") is missing");
    if (t->shape != p.value().sizes().vec())
      throw std::runtime_error(gguf_path + ": tensor " + name + " has the wrong shape for " +
                               p.key());
    auto values = r.values(*t);
    auto w = torch::from_blob(values.data(), t->shape, torch::kFloat32).clone();
    if (arch.gguf_interleaved_rope && name.find(".attn_q.") != std::string::npos)
      w = deinterleave_rope_rows(w, config.num_attention_heads);
    if (arch.gguf_interleaved_rope && name.find(".attn_k.") != std::string::npos)
      w = deinterleave_rope_rows(w, config.num_key_value_heads);
    if (arch.gguf_norms_plus_one && is_gguf_norm(name)) w = w - 1.0;  // converter's +1 undone
    p.value().copy_(w);
    used.insert(name);
    ++summary.tensors;
  }
  check_every_tensor_used(r, used);
  m.generation_config_json = default_generation_config(config);
  save_model_dir(out_dir, m, dtype);
  return summary;
}

}  // namespace chosei
