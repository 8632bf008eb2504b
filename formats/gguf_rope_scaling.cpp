#include "formats/gguf_rope_scaling.h"

#include <stdexcept>

#include "formats/gguf_quantize.h"
#include "model/rope_frequencies.h"

namespace chosei {

namespace {

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

}  // namespace

void read_gguf_rope_scaling(const GgufReader& r, const std::string& arch, ModelConfig& c) {
  const std::string prefix = arch + ".rope.scaling.";
  std::string type = "none";
  if (auto* t = r.find(prefix + "type")) type = t->as_string(prefix + "type");
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
  const auto hd = c.effective_head_dim();
  return rope_frequencies(plain, hd, c.max_position_embeddings).inv_freq /
         rope_frequencies(c.rope, hd, c.max_position_embeddings).inv_freq;
}

void write_gguf_rope_scaling(GgufWriter& w, const std::string& arch, const ModelConfig& c) {
  const auto& rope = c.rope;
  if (rope.type == "default") return;
  if (rope.type == "llama3") {
    const auto freqs = llama3_rope_freqs(c).contiguous();
    std::vector<float> values(freqs.data_ptr<float>(), freqs.data_ptr<float>() + freqs.numel());
    w.add_tensor("rope_freqs.weight", {freqs.numel()}, GgmlType::F32,
                 [values] { return encode_ggml(values, GgmlType::F32); });
    return;
  }
  const std::string prefix = arch + ".rope.scaling.";
  w.set(prefix + "type", GgufValue::string(rope.type));
  w.set(prefix + "factor", GgufValue::f32(static_cast<float>(rope.factor)));
  if (rope.type == "yarn")
    w.set(prefix + "original_context_length",
          GgufValue::u32(static_cast<std::uint32_t>(rope.original_max_position_embeddings)));
}

}  // namespace chosei
