#include "formats/llama2c_import.h"

#include <torch/torch.h>

#include <cstring>
#include <stdexcept>

#include "base/mapped_file.h"
#include "formats/model_dir.h"
#include "formats/tensor_io.h"
#include "tokenizer/llama2c_tokenizer.h"

namespace chosei {

namespace {

struct Llama2cHeader {
  std::int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
  bool shared_classifier;
  std::size_t data_offset;
  int version;
};

Llama2cHeader read_header(const MappedFile& file) {
  if (file.size() < 28) throw std::runtime_error(file.path() + ": too short for a llama2.c header");
  Llama2cHeader h{};
  std::uint32_t magic;
  std::memcpy(&magic, file.data(), 4);
  if (magic == 0x616b3432) {  // "ak42"
    std::int32_t version;
    std::memcpy(&version, file.data() + 4, 4);
    if (version != 1)
      throw std::runtime_error(file.path() + ": llama2.c export version " +
                               std::to_string(version) +
                               " is not supported (only the legacy and version-1 fp32 formats)");
    if (file.size() < 256) throw std::runtime_error(file.path() + ": truncated version-1 header");
    std::memcpy(&h.dim, file.data() + 8, 7 * 4);
    h.shared_classifier = file.data()[36] != 0;
    h.data_offset = 256;
    h.version = 1;
  } else {
    std::memcpy(&h.dim, file.data(), 7 * 4);
    h.shared_classifier = h.vocab_size > 0;
    h.vocab_size = std::abs(h.vocab_size);
    h.data_offset = 28;
    h.version = 0;
  }
  auto plausible = [](std::int32_t v) { return v > 0 && v < (1 << 20); };
  if (!plausible(h.dim) || !plausible(h.hidden_dim) || !plausible(h.n_layers) ||
      !plausible(h.n_heads) || !plausible(h.n_kv_heads) || !plausible(h.vocab_size) ||
      !plausible(h.seq_len) || h.dim % h.n_heads != 0 || h.n_heads % h.n_kv_heads != 0)
    throw std::runtime_error(file.path() + ": implausible llama2.c header (dim " +
                             std::to_string(h.dim) + ", layers " + std::to_string(h.n_layers) +
                             ", heads " + std::to_string(h.n_heads) + ")");
  return h;
}

// Sequential reader of float32 arrays from the checkpoint body.
class FloatCursor {
 public:
  FloatCursor(const MappedFile& f, std::size_t offset) : file_(f), pos_(offset) {}
  torch::Tensor take(std::vector<std::int64_t> shape) {
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    if (pos_ + n * 4 > file_.size())
      throw std::runtime_error(file_.path() + ": truncated llama2.c checkpoint (needs " +
                               std::to_string(pos_ + n * 4) + " bytes, has " +
                               std::to_string(file_.size()) + ")");
    auto t = torch::empty(shape, torch::kFloat32);
    std::memcpy(t.data_ptr(), file_.data() + pos_, n * 4);
    pos_ += n * 4;
    return t;
  }
  void skip(std::size_t floats) { pos_ += floats * 4; }

 private:
  const MappedFile& file_;
  std::size_t pos_;
};

// llama2.c interleaves RoPE pairs (2i, 2i+1); HF pairs i with i + HD/2 (rotate_half).
torch::Tensor permute_rope_rows(const torch::Tensor& w, std::int64_t heads) {
  const auto out = w.size(0), in = w.size(1);
  return w.view({heads, out / heads / 2, 2, in}).transpose(1, 2).reshape({out, in});
}

}  // namespace

void import_llama2c(const std::string& weights_path, const std::string& tokenizer_path,
                    const std::string& out_dir) {
  MappedFile file(weights_path);
  const auto h = read_header(file);
  ModelConfig c;
  c.model_type = "llama";
  c.hidden_size = h.dim;
  c.intermediate_size = h.hidden_dim;
  c.num_hidden_layers = h.n_layers;
  c.num_attention_heads = h.n_heads;
  c.num_key_value_heads = h.n_kv_heads;
  c.vocab_size = h.vocab_size;
  c.max_position_embeddings = h.seq_len;
  c.rms_norm_eps = 1e-5;
  c.rope.theta = 10000.0;
  c.tie_word_embeddings = h.shared_classifier;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  c.validate(weights_path);

  const std::int64_t L = h.n_layers, C = h.dim, I = h.hidden_dim, V = h.vocab_size,
                     HD = h.dim / h.n_heads;
  const std::int64_t KV = h.n_kv_heads * HD;
  FloatCursor cur(file, h.data_offset);
  torch::Tensor emb, rms_att, rms_ffn, rms_final, wq, wk, wv, wo, w1, w2, w3, wcls;
  if (h.version == 0) {
    emb = cur.take({V, C});
    rms_att = cur.take({L, C});
    wq = cur.take({L, C, C}), wk = cur.take({L, KV, C}), wv = cur.take({L, KV, C}),
    wo = cur.take({L, C, C});
    rms_ffn = cur.take({L, C});
    w1 = cur.take({L, I, C}), w2 = cur.take({L, C, I}), w3 = cur.take({L, I, C});
    rms_final = cur.take({C});
    cur.skip(static_cast<std::size_t>(h.seq_len * HD));  // freq_cis_real and _imag (recomputed)
  } else {
    rms_att = cur.take({L, C});
    rms_ffn = cur.take({L, C});
    rms_final = cur.take({C});
    emb = cur.take({V, C});
    wq = cur.take({L, C, C}), wk = cur.take({L, KV, C}), wv = cur.take({L, KV, C}),
    wo = cur.take({L, C, C});
    w1 = cur.take({L, I, C}), w2 = cur.take({L, C, I}), w3 = cur.take({L, I, C});
  }
  if (!h.shared_classifier) wcls = cur.take({V, C});

  std::map<std::string, torch::Tensor> tensors;
  tensors["model.embed_tokens.weight"] = emb;
  tensors["model.norm.weight"] = rms_final;
  if (!h.shared_classifier) tensors["lm_head.weight"] = wcls;
  for (std::int64_t l = 0; l < L; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    tensors[p + "input_layernorm.weight"] = rms_att[l];
    tensors[p + "post_attention_layernorm.weight"] = rms_ffn[l];
    tensors[p + "self_attn.q_proj.weight"] = permute_rope_rows(wq[l], h.n_heads);
    tensors[p + "self_attn.k_proj.weight"] = permute_rope_rows(wk[l], h.n_kv_heads);
    tensors[p + "self_attn.v_proj.weight"] = wv[l];
    tensors[p + "self_attn.o_proj.weight"] = wo[l];
    tensors[p + "mlp.gate_proj.weight"] = w1[l];
    tensors[p + "mlp.down_proj.weight"] = w2[l];
    tensors[p + "mlp.up_proj.weight"] = w3[l];
  }
  LoadedModel m;
  m.model = LlamaForCausalLM(c);
  load_parameters(*m.model, tensors, weights_path);
  auto tok = std::make_unique<Llama2cTokenizer>(tokenizer_path);
  if (tok->vocab_size() != V)
    throw std::runtime_error(tokenizer_path + ": " + std::to_string(tok->vocab_size()) +
                             " tokens, but the checkpoint's vocabulary has " + std::to_string(V));
  // Save through tokenizer.json so the directory is a plain HF Llama directory.
  m.tokenizer.config.bos_token = "<s>";
  m.tokenizer.config.eos_token = "</s>";
  m.tokenizer.config.unk_token = "<unk>";
  m.tokenizer.config.add_bos_token = true;
  m.tokenizer.config.add_eos_token = false;
  m.tokenizer.config.original_json = R"({"tokenizer_class": "LlamaTokenizerFast", "legacy": true})";
  m.tokenizer.tokenizer = std::move(tok);
  save_model_dir(out_dir, m);
}

}  // namespace chosei
