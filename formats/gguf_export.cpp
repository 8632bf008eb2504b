// HF names and layouts to llama.cpp's: Llama's q/k rows go from HF's rotate_half order back
// to the interleaved pairs llama.cpp's "llama" RoPE rotates (convert_hf_to_gguf.py
// LlamaModel.permute); Qwen2 keeps HF's order (NEOX RoPE).

#include "formats/gguf_export.h"

#include <torch/torch.h>

#include <filesystem>
#include <stdexcept>

#include "formats/gguf_layer_layout.h"
#include "formats/gguf_quantize.h"
#include "formats/gguf_reader.h"
#include "formats/gguf_rope_scaling.h"
#include "formats/gguf_tensor_names.h"
#include "formats/gguf_vocabulary.h"
#include "formats/gguf_writer.h"
#include "model/lora.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

namespace {

// (rows, ...) with each head's rows [first half | second half] interleaved pairwise.
torch::Tensor interleave_rope_rows(const torch::Tensor& w, std::int64_t heads) {
  auto sizes = w.sizes().vec();
  std::vector<std::int64_t> split = {heads, 2, sizes[0] / heads / 2};
  split.insert(split.end(), sizes.begin() + 1, sizes.end());
  return w.reshape(split).transpose(1, 2).reshape(sizes).contiguous();
}

std::vector<float> to_floats(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kFloat32).contiguous().cpu();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

void write_architecture(GgufWriter& w, const std::string& arch, const ModelConfig& c) {
  auto key = [&](const std::string& k) { return arch + "." + k; };
  auto u32 = [](std::int64_t v) { return GgufValue::u32(static_cast<std::uint32_t>(v)); };
  w.set(key("context_length"), u32(c.max_position_embeddings));
  w.set(key("embedding_length"), u32(c.hidden_size));
  w.set(key("block_count"), u32(c.num_hidden_layers));
  w.set(key("feed_forward_length"), u32(c.intermediate_size));
  w.set(key("attention.head_count"), u32(c.num_attention_heads));
  w.set(key("attention.head_count_kv"), u32(c.num_key_value_heads));
  w.set(key("attention.layer_norm_rms_epsilon"),
        GgufValue::f32(static_cast<float>(c.rms_norm_eps)));
  w.set(key("rope.freq_base"), GgufValue::f32(static_cast<float>(c.rope.theta)));
  w.set(key("rope.dimension_count"), u32(c.rope.rotary_dim(c.effective_head_dim())));
  w.set(key("attention.key_length"), u32(c.effective_head_dim()));
  w.set(key("attention.value_length"), u32(c.effective_head_dim()));
  w.set(key("vocab_size"), u32(c.vocab_size));
  if (c.sliding_window > 0) w.set(key("attention.sliding_window"), u32(c.sliding_window));
}

// What llama.cpp would run differently from the config, refused before anything is written.
void check_exportable(const ModelConfig& c) {
  check_llama_cpp_layout(c);
  const Architecture& a = c.architecture();
  if (c.final_logit_softcapping > 0)
    throw std::invalid_argument("GGUF export: llama.cpp's " + a.gguf_name +
                                " applies no final logit soft-capping");
  if (a.windows == WindowSource::kUseSlidingFlag && c.sliding_window > 0)
    throw std::invalid_argument("GGUF export: llama.cpp runs " + a.gguf_name +
                                " without a sliding window (use_sliding_window is set)");
}

GgmlType single_type(GgmlType wanted, const torch::Tensor& t, GgufExportSummary& summary) {
  if (t.dim() == 1) return GgmlType::F32;
  const auto block = ggml_type_traits(wanted).block_size;
  if (block == 1) return wanted;
  if (t.size(-1) % block == 0) {
    ++summary.quantized;
    return wanted;
  }
  ++summary.kept_f16;
  return GgmlType::F16;
}

// llama-quantize's use_more_bits: the first and last eighth of the layers and every third
// between them get more bits.
bool use_more_bits(std::int64_t layer, std::int64_t layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

std::int64_t layer_of(const std::string& gguf_name) {
  if (gguf_name.rfind("blk.", 0) != 0) return -1;
  return std::stoll(gguf_name.substr(4, gguf_name.find('.', 4) - 4));
}

// The Q4_K_M / Q5_K_M mixes (llama-quant.cpp llama_tensor_get_type, no imatrix).
GgmlType mix_type(const std::string& mix, const std::string& name, const ModelConfig& c) {
  const GgmlType base = mix == "q4_k_m" ? GgmlType::Q4_K : GgmlType::Q5_K;
  const bool output =
      name == "output.weight" || (name == "token_embd.weight" && c.tie_word_embeddings);
  const bool more = (name.find(".attn_v.") != std::string::npos ||
                     name.find(".ffn_down.") != std::string::npos) &&
                    use_more_bits(layer_of(name), c.num_hidden_layers);
  if (output || more) return GgmlType::Q6_K;
  // A fused q|k|v (Phi-3) gets one step more everywhere.
  if (name.find(".attn_qkv.") != std::string::npos)
    return mix == "q4_k_m" ? GgmlType::Q5_K : GgmlType::Q6_K;
  return base;
}

// A K-quant needs rows of whole 256-value super-blocks; llama.cpp falls back otherwise.
GgmlType with_row_fallback(GgmlType type, std::int64_t row) {
  if (row % ggml_type_traits(type).block_size == 0) return type;
  switch (type) {
    case GgmlType::Q4_K:
      return GgmlType::Q5_0;
    case GgmlType::Q5_K:
      return GgmlType::Q5_1;
    case GgmlType::Q6_K:
      return GgmlType::Q8_0;
    default:
      return GgmlType::F16;
  }
}

GgmlType matrix_type(const GgufExportOptions& options, const std::string& name,
                     const torch::Tensor& t, const ModelConfig& c, GgufExportSummary& summary) {
  if (t.dim() == 1) return GgmlType::F32;
  if (!options.mix.empty()) {
    const GgmlType type = with_row_fallback(mix_type(options.mix, name, c), t.size(-1));
    if (type != GgmlType::F16) ++summary.quantized;
    return type;
  }
  return single_type(options.type, t, summary);
}

// The model's own template; else the one chosei would use, when the tokenizer has its
// markup tokens (a base model without them gets none, as chosei would refuse to chat).
std::string chat_template_for(const LoadedModel& m) {
  if (!m.tokenizer.config.chat_template.empty()) return m.tokenizer.config.chat_template;
  const auto tmpl = choose_chat_template(m.tokenizer.config);
  for (const auto& token : tmpl.special_tokens())
    if (m.tokenizer.tokenizer->token_to_id(token) < 0) return "";
  return tmpl.jinja();
}

std::int64_t end_of_turn_id(const LoadedModel& m, std::int64_t eos) {
  for (auto id : choose_chat_template(m.tokenizer.config).end_of_turn_ids(*m.tokenizer.tokenizer))
    if (id != eos) return id;
  return -1;
}

// Reads the file back: every exported parameter is there with its shape, and the
// vocabulary fills the embedding rows, or the export fails before anyone ships it.
void check_written(const std::string& path, LlamaForCausalLMImpl& model,
                   const GgufExportSummary& summary) {
  GgufReader r(path);
  if (static_cast<std::int64_t>(r.tensors().size()) != summary.tensors)
    throw std::runtime_error(path + ": wrote " + std::to_string(summary.tensors) +
                             " tensors, reads back " + std::to_string(r.tensors().size()));
  for (const auto& p : model.named_parameters()) {
    const std::string name = gguf_tensor_name(p.key(), model.config().architecture());
    if (name.empty()) continue;
    const GgufTensorInfo* t = r.find_tensor(name);
    if (!t || t->shape != p.value().sizes().vec())
      throw std::runtime_error(path + ": tensor " + name + " does not read back as written");
  }
  if (static_cast<std::int64_t>(read_vocabulary(r).tokens.size()) != model.config().vocab_size)
    throw std::runtime_error(path + ": the vocabulary does not read back with " +
                             std::to_string(model.config().vocab_size) + " tokens");
}

}  // namespace

std::string gguf_architecture(const std::string& model_type) {
  return architecture_for_model_type(model_type).gguf_name;
}

GgufExportSummary export_gguf(LoadedModel& m, const std::string& tokenizer_dir,
                              const std::string& out, const GgufExportOptions& options) {
  const ModelConfig& config = m.model->config();
  GgufExportSummary summary;
  summary.architecture = gguf_architecture(config.model_type);
  merge_lora(*m.model);

  GgufWriter w;
  w.set("general.architecture", GgufValue::string(summary.architecture));
  w.set("general.name",
        GgufValue::string(options.name.empty() ? std::filesystem::path(m.dir).filename().string()
                                               : options.name));
  // llama_ftype MOSTLY_Q4_K_M 15, MOSTLY_Q5_K_M 17.
  w.set("general.file_type",
        GgufValue::u32(options.mix.empty() ? gguf_file_type(options.type)
                                           : (options.mix == "q4_k_m" ? 15u : 17u)));
  if (options.type == GgmlType::Q8_0 || !options.mix.empty())
    w.set("general.quantization_version", GgufValue::u32(2));
  w.set("general.alignment", GgufValue::u32(static_cast<std::uint32_t>(kGgufDefaultAlignment)));
  check_exportable(config);
  write_architecture(w, summary.architecture, config);
  summary.tensors += write_gguf_rope_scaling(w, summary.architecture, config);

  auto vocab = read_gguf_vocabulary(tokenizer_dir, config.vocab_size);
  const auto eos_ids = m.eos_ids();
  std::vector<std::int64_t> eos(eos_ids.begin(), eos_ids.end());
  set_special_tokens(vocab, *m.tokenizer.tokenizer, eos);
  vocab.pad = config.pad_token_id;
  vocab.eot = end_of_turn_id(m, vocab.eos);
  vocab.chat_template = chat_template_for(m);
  write_vocabulary(w, vocab);

  const bool interleave = config.architecture().gguf_interleaved_rope;
  for (const auto& p : m.model->named_parameters()) {
    const std::string& hf = p.key();
    if (hf.find(".lora_") != std::string::npos) continue;  // merged above
    const std::string name = gguf_tensor_name(hf, config.architecture());
    if (name.empty())
      throw std::invalid_argument("GGUF export: no llama.cpp tensor for parameter " + hf);
    torch::Tensor t = p.value().detach();
    if (interleave && name.find(".attn_q.") != std::string::npos)
      t = interleave_rope_rows(t, config.num_attention_heads);
    if (interleave && name.find(".attn_k.") != std::string::npos)
      t = interleave_rope_rows(t, config.num_key_value_heads);
    if (config.architecture().gguf_norms_plus_one && is_gguf_norm(name)) t = t + 1.0;
    const GgmlType type = matrix_type(options, name, t, config, summary);
    ++summary.types[ggml_type_name(type)];
    w.add_tensor(name, t.sizes().vec(), type,
                 [t, type] { return encode_ggml(to_floats(t), type); });
    ++summary.tensors;
    summary.bytes += static_cast<std::int64_t>(ggml_type_bytes(type, t.numel()));
  }
  w.write(out);
  check_written(out, *m.model, summary);
  return summary;
}

GgufExportSummary export_gguf_lora_adapter(LoadedModel& m, const LoraConfig& adapter,
                                           const std::string& out,
                                           const GgufExportOptions& options) {
  const ModelConfig& config = m.model->config();
  if (!adapter.modules_to_save.empty())
    throw std::invalid_argument(
        "GGUF adapter export: the adapter saves whole modules (" + adapter.modules_to_save.front() +
        ": the vocabulary grew for added tokens), which a llama.cpp LoRA cannot carry; export "
        "it merged instead (without --adapter-only)");
  if (options.type != GgmlType::F32 && options.type != GgmlType::F16)
    throw std::invalid_argument("GGUF adapter export writes f32 or f16");
  GgufExportSummary summary;
  summary.architecture = gguf_architecture(config.model_type);
  GgufWriter w;
  w.set("general.architecture", GgufValue::string(summary.architecture));
  w.set("general.type", GgufValue::string("adapter"));
  w.set("general.name",
        GgufValue::string(options.name.empty() ? std::filesystem::path(m.dir).filename().string()
                                               : options.name));
  w.set("general.alignment", GgufValue::u32(static_cast<std::uint32_t>(kGgufDefaultAlignment)));
  w.set("adapter.type", GgufValue::string("lora"));
  w.set("adapter.lora.alpha", GgufValue::f32(static_cast<float>(adapter.alpha)));
  const bool interleave = config.architecture().gguf_interleaved_rope;
  auto add = [&](const std::string& name, torch::Tensor t) {
    w.add_tensor(name, t.sizes().vec(), options.type,
                 [t, type = options.type] { return encode_ggml(to_floats(t), type); });
    ++summary.tensors;
    summary.bytes += static_cast<std::int64_t>(ggml_type_bytes(options.type, t.numel()));
  };
  for (const auto& [module, projection] : adapted_projections(*m.model)) {
    const std::string base = gguf_tensor_name(module + ".weight", config.architecture());
    if (base.empty() || base.rfind("blk.", 0) != 0)
      throw std::invalid_argument("GGUF adapter export: llama.cpp applies no LoRA to " + module);
    torch::Tensor b = projection->lora_B().detach();
    if (interleave && base.find(".attn_q.") != std::string::npos)
      b = interleave_rope_rows(b, config.num_attention_heads);  // W = B A: rows are B's
    if (interleave && base.find(".attn_k.") != std::string::npos)
      b = interleave_rope_rows(b, config.num_key_value_heads);
    add(base + ".lora_a", projection->lora_A().detach());
    add(base + ".lora_b", b);
  }
  if (summary.tensors == 0)
    throw std::invalid_argument("GGUF adapter export: the model carries no adapter");
  w.write(out);
  GgufReader r(out);  // read back, as the full export does
  if (static_cast<std::int64_t>(r.tensors().size()) != summary.tensors)
    throw std::runtime_error(out + ": wrote " + std::to_string(summary.tensors) +
                             " tensors, reads back " + std::to_string(r.tensors().size()));
  return summary;
}

}  // namespace chosei
