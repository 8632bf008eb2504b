#include "formats/gguf_rope_scaling.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "formats/gguf_quantize.h"
#include "model/rope_frequencies.h"

namespace chosei {

namespace {

// A float stored as f32, as the shortest decimal that reads back to it (what the HF config
// held before conversion).
double shortest_float(double stored) {
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, static_cast<float>(stored)).ptr;
  return std::stod(std::string(buf, end));
}

torch::Tensor rope_freqs_tensor(const GgufReader& r, const GgufTensorInfo& t) {
  auto values = r.values(t);
  return torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())},
                          torch::kFloat32)
      .clone();
}

// Llama 3.1/3.2 ship low_freq_factor 1, high_freq_factor 4, an 8192-token original context;
// the factor is the largest divisor, the original context a power of two. Whatever the file
// holds must be reproduced, or the import refuses.
void read_llama3(const GgufReader& r, const GgufTensorInfo& t, ModelConfig& c) {
  const auto freqs = rope_freqs_tensor(r, t);
  if (freqs.numel() != c.effective_head_dim() / 2)
    throw std::runtime_error(r.path() + ": rope_freqs.weight has " + std::to_string(freqs.numel()) +
                             " entries for a head dimension of " +
                             std::to_string(c.effective_head_dim()));
  c.rope.type = "llama3";
  c.rope.factor = freqs.max().item<double>();
  c.rope.low_freq_factor = 1.0;
  c.rope.high_freq_factor = 4.0;
  c.rope.original_max_position_embeddings = 8192;
  for (std::int64_t original = 64; original <= (1 << 20); original *= 2) {
    c.rope.original_max_position_embeddings = original;
    if (torch::allclose(llama3_rope_freqs(c), freqs, 1e-5, 1e-6)) return;
  }
  throw std::runtime_error(r.path() +
                           ": rope_freqs.weight is not Llama 3's band-wise scaling with any "
                           "original context chosei knows; refusing to run it unscaled");
}

std::vector<double> factors_of(const GgufReader& r, const GgufTensorInfo& t, std::int64_t count) {
  const auto values = r.values(t);
  if (static_cast<std::int64_t>(values.size()) != count)
    throw std::runtime_error(r.path() + ": " + t.name + " has " + std::to_string(values.size()) +
                             " entries for " + std::to_string(count) + " rotary frequencies");
  return std::vector<double>(values.begin(), values.end());
}

// LongRoPE: transformers' factor is max / original positions, its attention factor the file's.
void read_longrope(const GgufReader& r, const std::string& arch, ModelConfig& c) {
  const std::string prefix = arch + ".rope.scaling.";
  const auto* long_factors = r.find_tensor("rope_factors_long.weight");
  const auto* short_factors = r.find_tensor("rope_factors_short.weight");
  if (!long_factors || !short_factors)
    throw std::runtime_error(r.path() + ": rope_factors_long.weight and " +
                             "rope_factors_short.weight come together");
  const auto frequencies = c.rope.rotary_dim(c.effective_head_dim()) / 2;
  c.rope.type = "longrope";
  c.rope.long_factor = factors_of(r, *long_factors, frequencies);
  c.rope.short_factor = factors_of(r, *short_factors, frequencies);
  const auto original_key = prefix + "original_context_length";
  c.rope.original_max_position_embeddings =
      r.find(original_key) ? static_cast<std::int64_t>(r.at(original_key).as_uint(original_key))
                           : c.max_position_embeddings;
  c.rope.factor = static_cast<double>(c.max_position_embeddings) /
                  static_cast<double>(c.rope.original_max_position_embeddings);
  const auto attn_key = prefix + "attn_factor";
  c.rope.attention_factor =
      r.find(attn_key) ? shortest_float(r.at(attn_key).as_float(attn_key))
      : c.rope.factor <= 1.0
          ? 1.0
          : std::sqrt(1 + std::log(c.rope.factor) / std::log(static_cast<double>(
                                                        c.rope.original_max_position_embeddings)));
}

}  // namespace

bool is_gguf_rope_scaling_tensor(const std::string& name) {
  return name == "rope_freqs.weight" || name == "rope_factors_long.weight" ||
         name == "rope_factors_short.weight";
}

void read_gguf_rope_scaling(const GgufReader& r, const std::string& arch, ModelConfig& c) {
  const std::string prefix = arch + ".rope.scaling.";
  std::string type = "none";
  if (auto* t = r.find(prefix + "type")) type = t->as_string(prefix + "type");
  if (r.find_tensor("rope_factors_long.weight") || r.find_tensor("rope_factors_short.weight")) {
    if (type != "none" && type != "longrope")
      throw std::runtime_error(r.path() + ": both " + prefix + "type " + type +
                               " and LongRoPE factors");
    return read_longrope(r, arch, c);
  }
  if (auto* freqs = r.find_tensor("rope_freqs.weight")) {
    if (type != "none")
      throw std::runtime_error(r.path() + ": both " + prefix + "type " + type +
                               " and rope_freqs.weight");
    return read_llama3(r, *freqs, c);
  }
  if (type == "none") return;
  if (type != "linear" && type != "yarn")
    throw std::runtime_error(r.path() + ": " + prefix + "type \"" + type +
                             "\" is not supported (linear, yarn)");
  c.rope.type = type;
  c.rope.factor = r.at(prefix + "factor").as_float(prefix + "factor");
  if (type == "yarn") {
    c.rope.original_max_position_embeddings = static_cast<std::int64_t>(
        r.at(prefix + "original_context_length").as_uint(prefix + "original_context_length"));
    if (auto* a = r.find(prefix + "attn_factor")) c.rope.attention_factor = a->as_float(prefix);
  }
}

torch::Tensor llama3_rope_freqs(const ModelConfig& c) {
  RopeParameters plain = c.rope;
  plain.type = "default";
  const auto hd = c.effective_head_dim();  // rope_frequencies takes the rotated share itself
  return rope_frequencies(plain, hd, c.max_position_embeddings).inv_freq /
         rope_frequencies(c.rope, hd, c.max_position_embeddings).inv_freq;
}

namespace {

void add_f32_tensor(GgufWriter& w, const std::string& name, const std::vector<float>& values) {
  w.add_tensor(name, {static_cast<std::int64_t>(values.size())}, GgmlType::F32,
               [values] { return encode_ggml(values, GgmlType::F32); });
}

}  // namespace

int write_gguf_rope_scaling(GgufWriter& w, const std::string& arch, const ModelConfig& c) {
  const auto& rope = c.rope;
  const std::string prefix = arch + ".rope.scaling.";
  if (rope.type == "default") return 0;
  if (rope.type == "llama3") {
    const auto freqs = llama3_rope_freqs(c).contiguous();
    add_f32_tensor(
        w, "rope_freqs.weight",
        std::vector<float>(freqs.data_ptr<float>(), freqs.data_ptr<float>() + freqs.numel()));
    return 1;
  }
  if (rope.type == "longrope") {  // as convert_hf_to_gguf.py's Phi3MiniModel writes it
    add_f32_tensor(w, "rope_factors_long.weight",
                   std::vector<float>(rope.long_factor.begin(), rope.long_factor.end()));
    add_f32_tensor(w, "rope_factors_short.weight",
                   std::vector<float>(rope.short_factor.begin(), rope.short_factor.end()));
    w.set(prefix + "original_context_length",
          GgufValue::u32(static_cast<std::uint32_t>(rope.original_max_position_embeddings)));
    w.set(prefix + "attn_factor", GgufValue::f32(static_cast<float>(rope.attention_factor)));
    return 2;
  }
  if (rope.type == "dynamic")
    throw std::invalid_argument("GGUF export: llama.cpp has no dynamic NTK RoPE scaling");
  w.set(prefix + "type", GgufValue::string(rope.type));
  w.set(prefix + "factor", GgufValue::f32(static_cast<float>(rope.factor)));
  if (rope.type == "yarn")
    w.set(prefix + "original_context_length",
          GgufValue::u32(static_cast<std::uint32_t>(rope.original_max_position_embeddings)));
  return 0;
}

}  // namespace chosei
