// GGUF → config.json + model.safetensors + tokenizer files.

#include "formats/gguf_import.h"

#include <torch/torch.h>

#include <charconv>
#include <filesystem>
#include <stdexcept>

#include "formats/gguf_export.h"
#include "formats/gguf_reader.h"
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

ModelConfig config_from(const GgufReader& r, const std::string& arch, const GgufVocabulary& v) {
  auto u = [&](const std::string& k) {
    return static_cast<std::int64_t>(r.at(arch + "." + k).as_uint(arch + "." + k));
  };
  auto f = [&](const std::string& k, double fallback) {
    auto* x = r.find(arch + "." + k);
    return x ? x->as_float(arch + "." + k) : fallback;
  };
  ModelConfig c;
  c.model_type = arch == "qwen2" ? "qwen2" : "llama";
  c.hidden_size = u("embedding_length");
  c.intermediate_size = u("feed_forward_length");
  c.num_hidden_layers = u("block_count");
  c.num_attention_heads = u("attention.head_count");
  c.num_key_value_heads = r.find(arch + ".attention.head_count_kv") ? u("attention.head_count_kv")
                                                                    : c.num_attention_heads;
  c.max_position_embeddings = u("context_length");
  c.rms_norm_eps = shortest_decimal(f("attention.layer_norm_rms_epsilon", 1e-5));
  c.rope_theta = shortest_decimal(f("rope.freq_base", 10000.0));
  if (r.find(arch + ".attention.key_length")) {
    const auto head_dim = u("attention.key_length");
    if (head_dim != c.hidden_size / c.num_attention_heads) c.head_dim = head_dim;
  }
  c.vocab_size = static_cast<std::int64_t>(v.tokens.size());
  c.tie_word_embeddings = r.find_tensor("output.weight") == nullptr;
  c.attention_bias = r.find_tensor("blk.0.attn_q.bias") != nullptr;
  c.bos_token_id = v.bos;
  if (v.eos >= 0) c.eos_token_ids = {v.eos};
  if (v.eot >= 0 && v.eot != v.eos) c.eos_token_ids.push_back(v.eot);
  c.pad_token_id = v.pad;
  c.validate(r.path());
  return c;
}

}  // namespace

GgufImportSummary import_gguf(const std::string& gguf_path, const std::string& out_dir) {
  GgufReader r(gguf_path);
  GgufImportSummary summary;
  summary.architecture = r.at("general.architecture").as_string("general.architecture");
  gguf_architecture(summary.architecture);  // refuses what export never writes
  const GgufVocabulary vocab = read_vocabulary(r);
  const ModelConfig config = config_from(r, summary.architecture, vocab);

  std::filesystem::create_directories(out_dir);
  write_tokenizer_files(vocab, out_dir);
  LoadedModel m;
  m.dir = out_dir;
  m.tokenizer = load_tokenizer(out_dir);
  m.model = LlamaForCausalLM(config);
  const bool interleaved = summary.architecture == "llama";
  torch::NoGradGuard no_grad;
  for (auto& p : m.model->named_parameters()) {
    const std::string name = gguf_tensor_name(p.key());
    const GgufTensorInfo* t = r.find_tensor(name);
    if (!t)
      throw std::runtime_error(gguf_path + ": tensor " + name + " (for " + p.key() +
                               ") is missing");
    if (t->shape != p.value().sizes().vec())
      throw std::runtime_error(gguf_path + ": tensor " + name + " has the wrong shape for " +
                               p.key());
    auto values = r.values(*t);
    auto w = torch::from_blob(values.data(), t->shape, torch::kFloat32).clone();
    if (interleaved && name.find(".attn_q.") != std::string::npos)
      w = deinterleave_rope_rows(w, config.num_attention_heads);
    if (interleaved && name.find(".attn_k.") != std::string::npos)
      w = deinterleave_rope_rows(w, config.num_key_value_heads);
    p.value().copy_(w);
    ++summary.tensors;
  }
  m.generation_config_json = default_generation_config(config);
  save_model_dir(out_dir, m);
  return summary;
}

}  // namespace chosei
