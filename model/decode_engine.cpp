// The decoder layer by layer over raw buffers: RMSNorm, q|k|v in one product, q/k norms,
// rotary, keys and values into each input's own cache row, attention over that row, o, the
// gated MLP; the block's traits (norm placement and offset, activation, embedding scale,
// windows, soft-capping) as the model's architecture entry says.

#include "model/decode_engine.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

#include "model/block_attention.h"
#include "model/llama_model.h"
#include "model/matrix_kernels.h"

namespace chosei {

namespace {

// A contiguous fp32 copy of `t` when it is not one already (a frozen base held in half
// precision under LoRA), kept alive in `held`.
const float* fp32_rows(const torch::Tensor& t, std::vector<torch::Tensor>& held) {
  if (t.scalar_type() == torch::kFloat32 && t.is_contiguous()) return t.data_ptr<float>();
  held.push_back(t.to(torch::kFloat32).contiguous());
  return held.back().data_ptr<float>();
}

// The weight a projection computes with: its parameter, or the parameter with its active
// LoRA update added (kept alive in `held`).
const float* effective_weight(ProjectionImpl& p, std::vector<torch::Tensor>& held) {
  torch::NoGradGuard no_grad;
  if (!p.lora_active()) return fp32_rows(p.weight, held);
  held.push_back(
      (p.weight.to(torch::kFloat32) + torch::matmul(p.lora_B(), p.lora_A()) * p.lora_scale())
          .contiguous());
  return held.back().data_ptr<float>();
}

}  // namespace

WeightMatrix DecodeEngine::stacked(const std::vector<ProjectionImpl*>& parts, WeightType type) {
  std::vector<WeightMatrix::Part> list;
  for (auto* p : parts) {
    list.push_back({effective_weight(*p, held_), p->weight.size(0)});
    lora_state_.emplace_back(p, p->lora_active());
  }
  return WeightMatrix(list, parts.front()->weight.size(1), type);
}

bool DecodeEngine::matches(WeightType type) const {
  if (type != type_) return false;
  for (const auto& [p, active] : lora_state_)
    if (p->lora_active() != active) return false;
  return true;
}

namespace {

std::vector<float> values_of(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// fn(i) for every input i, split across the threads when there are many (a prompt).
template <typename Fn>
void each_input(std::int64_t n, const Fn& fn) {
  at::parallel_for(0, n, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) fn(i);
  });
}

// HF's RMSNorm in fp32: gain * (x * rsqrt(mean(x^2) + eps)).
void rms_norm(const float* x, const float* gain, std::int64_t C, double eps, float* out) {
  const float variance = dot_f32(x, x, C) / static_cast<float>(C);
  const float r = 1.0f / std::sqrt(variance + static_cast<float>(eps));
  for (std::int64_t c = 0; c < C; ++c) out[c] = gain[c] * (x[c] * r);
}

// What a norm multiplies by: its weight, or 1 + weight (Gemma).
std::vector<float> gain_of(const RmsNormImpl& norm) {
  return values_of(norm.offset_one() ? 1.0 + norm.weight : norm.weight);
}

// tanh-approximated GELU, as torch's gelu(approximate="tanh").
float gelu_tanh(float x) {
  const float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + std::tanh(inner));
}

}  // namespace

DecodeEngine::DecodeEngine(LlamaForCausalLMImpl& model, WeightType type)
    : model_(model), type_(type) {
  const auto& c = model.config();
  C_ = c.hidden_size;
  NH_ = c.num_attention_heads;
  NKV_ = c.num_key_value_heads;
  HD_ = c.effective_head_dim();
  I_ = c.intermediate_size;
  V_ = c.vocab_size;
  eps_ = c.rms_norm_eps;
  scale_ = c.attention_scale();
  softcap_ = c.final_logit_softcapping;
  activation_ = c.architecture().activation;
  torch::NoGradGuard no_grad;
  auto& backbone = *model.model;
  for (const auto& module : *backbone.layers) {
    auto* layer = module->as<LlamaDecoderLayerImpl>();
    auto& attn = *layer->self_attn;
    auto& mlp = *layer->mlp;
    Layer l;
    const auto qkv_parts = attn.qkv_parts();
    l.qkv = stacked(qkv_parts, type);
    l.o = stacked({attn.o_proj.get()}, type);
    l.gate_up = stacked(mlp.gate_up_parts(), type);
    l.down = stacked({mlp.down_proj.get()}, type);
    if (qkv_parts[0]->bias.defined()) {
      std::vector<torch::Tensor> biases;
      for (auto* part : qkv_parts) biases.push_back(part->bias);
      auto bias = torch::cat(biases).to(torch::kFloat32).contiguous();
      l.qkv_bias.assign(bias.data_ptr<float>(), bias.data_ptr<float>() + bias.numel());
    }
    if (attn.o_proj->bias.defined()) l.o_bias = values_of(attn.o_proj->bias);
    l.input_norm = gain_of(*layer->input_layernorm);
    l.mlp_norm = gain_of(*layer->mlp_input_norm());
    if (attn.q_norm) {
      l.q_norm = gain_of(*attn.q_norm);
      l.k_norm = gain_of(*attn.k_norm);
    }
    if (auto* post = layer->attention_output_norm()) l.attn_output_norm = gain_of(*post);
    if (auto* post = layer->mlp_output_norm()) l.mlp_output_norm = gain_of(*post);
    const auto index = static_cast<std::int64_t>(layers_.size());
    if (c.layer_is_sliding(index)) l.window = c.sliding_window;
    l.rope = c.layer_uses_rope(index);
    layers_.push_back(std::move(l));
  }
  final_norm_ = gain_of(*backbone.norm);
  embedding_scale_ = backbone.embedding_scale();
  const auto& embedding = backbone.embed_tokens->weight;
  const WeightMatrix::Part embedding_rows{fp32_rows(embedding, held_), V_};
  if (model.lm_head)
    head_ = stacked({model.lm_head.get()}, type);
  else
    head_ = WeightMatrix({embedding_rows}, C_, type);
  // Lookups read fp32 rows (as the LibTorch path does) unless the weights are quantized,
  // where the quantized rows are all there is (llama.cpp looks up q8_0 rows too).
  if (type != WeightType::kQ8_0) {
    embed_ = WeightMatrix({embedding_rows}, C_, WeightType::kF32);
    lookup_ = &embed_;
  } else if (model.lm_head) {
    embed_ = WeightMatrix({embedding_rows}, C_, type);
    lookup_ = &embed_;
  } else {
    lookup_ = &head_;
  }
}

std::int64_t DecodeEngine::weight_bytes() const {
  std::int64_t bytes = head_.bytes();
  for (const auto& l : layers_)
    bytes += l.qkv.bytes() + l.o.bytes() + l.gate_up.bytes() + l.down.bytes();
  return bytes;
}

void DecodeEngine::own_weights() {
  for (auto& l : layers_)
    for (auto* m : {&l.qkv, &l.o, &l.gate_up, &l.down}) m->own();
  head_.own();
  embed_.own();
  held_.clear();
}

void DecodeEngine::embed(const std::vector<DecodeInput>& inputs, float* h) const {
  each_input(static_cast<std::int64_t>(inputs.size()), [&](std::int64_t i) {
    lookup_->row(inputs[i].token, h + i * C_);
    if (embedding_scale_ != 1.0f)
      for (std::int64_t c = i * C_; c < (i + 1) * C_; ++c) h[c] *= embedding_scale_;
  });
}

// Each q head and k head normalized over its HD channels (Qwen3, Gemma 3), before RoPE.
void DecodeEngine::normalize_heads(const Layer& layer, std::int64_t n, float* qkv) const {
  if (layer.q_norm.empty()) return;
  const auto width = (NH_ + 2 * NKV_) * HD_;
  each_input(n, [&](std::int64_t i) {
    thread_local std::vector<float> x;
    x.resize(static_cast<std::size_t>(HD_));
    for (std::int64_t head = 0; head < NH_ + NKV_; ++head) {
      float* v = qkv + i * width + head * HD_;
      std::copy(v, v + HD_, x.begin());
      rms_norm(x.data(), head < NH_ ? layer.q_norm.data() : layer.k_norm.data(), HD_, eps_, v);
    }
  });
}

// act(gate) * up into act_, for n inputs.
void DecodeEngine::gated_activation(std::int64_t n) {
  each_input(n, [&](std::int64_t i) {
    for (std::int64_t j = 0; j < I_; ++j) {
      const float g = gu_[i * 2 * I_ + j], u = gu_[i * 2 * I_ + I_ + j];
      const float a = activation_ == Activation::kSilu ? g / (1.0f + std::exp(-g)) : gelu_tanh(g);
      act_[i * I_ + j] = a * u;
    }
  });
}

// Rotary embedding of the q and k heads of each input at its position, from the model's
// own tables (the LibTorch path's values): x * cos + rotate_half(x) * sin over the rotated
// channels. Where the frequencies depend on the length (dynamic, longrope), each row's inputs
// use those of its own sequence (its largest position here + 1), as if decoded alone.
void DecodeEngine::rotate(const std::vector<DecodeInput>& inputs, std::int64_t layer, float* qkv) {
  auto& rotary = model_.model->rotary(layer);
  const auto N = static_cast<std::int64_t>(inputs.size());
  std::map<std::int64_t, std::vector<std::int64_t>> by_length;
  if (rotary.length_dependent()) {
    std::map<std::int64_t, std::int64_t> row_length;
    for (const auto& in : inputs)
      row_length[in.row] = std::max(row_length[in.row], in.position + 1);
    for (std::int64_t i = 0; i < N; ++i) by_length[row_length[inputs[i].row]].push_back(i);
  } else {
    auto& all = by_length[0];
    for (std::int64_t i = 0; i < N; ++i) all.push_back(i);
  }
  const auto width = (NH_ + 2 * NKV_) * HD_, RD = rotary.rotary_dim(), half = RD / 2;
  for (const auto& [length, members] : by_length) {
    std::int64_t longest = 0;
    for (auto i : members) longest = std::max(longest, inputs[i].position + 1);
    const auto& tables = rotary.tables(std::max(length, longest));
    const float* cos = tables.cos.data_ptr<float>();
    const float* sin = tables.sin.data_ptr<float>();
    each_input(static_cast<std::int64_t>(members.size()), [&](std::int64_t m) {
      const auto i = members[static_cast<std::size_t>(m)];
      const float* c = cos + inputs[i].position * RD;
      const float* s = sin + inputs[i].position * RD;
      thread_local std::vector<float> x;
      x.resize(static_cast<std::size_t>(RD));
      for (std::int64_t head = 0; head < NH_ + NKV_; ++head) {
        float* v = qkv + i * width + head * HD_;
        std::copy(v, v + RD, x.begin());
        for (std::int64_t j = 0; j < RD; ++j) v[j] = x[j] * c[j] + x[(j + half) % RD] * s[j];
      }
    });
  }
}

// h += out, or h += norm(out) where the block normalizes a sublayer's output (sandwich).
void DecodeEngine::add_residual(const std::vector<float>& output_norm, float* out, float* h) const {
  if (!output_norm.empty()) {
    thread_local std::vector<float> x;
    x.assign(out, out + C_);
    rms_norm(x.data(), output_norm.data(), C_, eps_, out);
  }
  for (std::int64_t c = 0; c < C_; ++c) h[c] += out[c];
}

torch::Tensor DecodeEngine::forward(const std::vector<DecodeInput>& inputs, KvCache& cache) {
  const auto N = static_cast<std::int64_t>(inputs.size());
  std::int64_t wanted = 0;
  for (const auto& in : inputs) {
    if (in.token < 0 || in.token >= V_)
      throw std::out_of_range("token id " + std::to_string(in.token) +
                              " outside the vocabulary of " + std::to_string(V_));
    if (in.row < 0 || in.row >= cache.batch() || in.position < 0 || in.position >= cache.capacity())
      throw std::length_error("decode input at row " + std::to_string(in.row) + ", position " +
                              std::to_string(in.position) + " outside the KV cache (" +
                              std::to_string(cache.batch()) + " rows, " +
                              std::to_string(cache.capacity()) + " positions)");
    wanted += in.logits ? 1 : 0;
  }
  const auto width = (NH_ + 2 * NKV_) * HD_;
  h_.resize(N * C_);
  xn_.resize(N * C_);
  qkv_.resize(N * width);
  att_.resize(N * NH_ * HD_);
  gu_.resize(N * 2 * I_);
  act_.resize(N * I_);
  tmp_.resize(N * C_);
  embed(inputs, h_.data());
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const auto& layer = layers_[l];
    each_input(N, [&](std::int64_t i) {
      rms_norm(&h_[i * C_], layer.input_norm.data(), C_, eps_, &xn_[i * C_]);
    });
    layer.qkv.multiply(xn_.data(), N, qkv_.data());
    if (!layer.qkv_bias.empty())
      each_input(N, [&](std::int64_t i) {
        for (std::int64_t j = 0; j < width; ++j) qkv_[i * width + j] += layer.qkv_bias[j];
      });
    normalize_heads(layer, N, qkv_.data());
    if (layer.rope) rotate(inputs, static_cast<std::int64_t>(l), qkv_.data());
    store_keys_and_values(inputs, cache, static_cast<std::int64_t>(l));
    attention(inputs, cache, static_cast<std::int64_t>(l), qkv_.data(), att_.data());
    layer.o.multiply(att_.data(), N, tmp_.data());
    each_input(N, [&](std::int64_t i) {
      for (std::size_t j = 0; j < layer.o_bias.size(); ++j) tmp_[i * C_ + j] += layer.o_bias[j];
      add_residual(layer.attn_output_norm, &tmp_[i * C_], &h_[i * C_]);
      rms_norm(&h_[i * C_], layer.mlp_norm.data(), C_, eps_, &xn_[i * C_]);
    });
    layer.gate_up.multiply(xn_.data(), N, gu_.data());
    gated_activation(N);
    layer.down.multiply(act_.data(), N, tmp_.data());
    each_input(N, [&](std::int64_t i) {
      add_residual(layer.mlp_output_norm, &tmp_[i * C_], &h_[i * C_]);
    });
  }
  std::int64_t m = 0;
  for (std::int64_t i = 0; i < N; ++i)
    if (inputs[static_cast<std::size_t>(i)].logits)
      rms_norm(&h_[i * C_], final_norm_.data(), C_, eps_, &xn_[m++ * C_]);
  auto logits = torch::empty({wanted, V_}, torch::kFloat32);
  if (wanted > 0) head_.multiply(xn_.data(), wanted, logits.data_ptr<float>());
  if (softcap_ > 0) logits = torch::tanh(logits / softcap_) * softcap_;
  return logits;
}

}  // namespace chosei
