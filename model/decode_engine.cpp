// The decoder layer by layer over raw buffers: RMSNorm, q|k|v in one product, rotary,
// keys and values into each input's own cache row, attention over that row, o, SwiGLU.

#include "model/decode_engine.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "model/block_attention.h"
#include "model/llama_model.h"
#include "model/matrix_kernels.h"

namespace chosei {

namespace {

// The weight a projection computes with: its parameter, or the parameter with its active
// LoRA update added (kept alive in `held`).
const float* effective_weight(ProjectionImpl& p, std::vector<torch::Tensor>& held) {
  torch::NoGradGuard no_grad;
  if (!p.lora_active()) {
    if (p.weight.scalar_type() != torch::kFloat32 || !p.weight.is_contiguous())
      throw std::invalid_argument("decode engine: weights must be contiguous fp32");
    return p.weight.data_ptr<float>();
  }
  held.push_back((p.weight + torch::matmul(p.lora_B(), p.lora_A()) * p.lora_scale()).contiguous());
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

// HF LlamaRMSNorm in fp32: w * (x * rsqrt(mean(x^2) + eps)).
void rms_norm(const float* x, const float* w, std::int64_t C, double eps, float* out) {
  const float variance = dot_f32(x, x, C) / static_cast<float>(C);
  const float r = 1.0f / std::sqrt(variance + static_cast<float>(eps));
  for (std::int64_t c = 0; c < C; ++c) out[c] = w[c] * (x[c] * r);
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
  torch::NoGradGuard no_grad;
  auto& backbone = *model.model;
  for (const auto& module : *backbone.layers) {
    auto* layer = module->as<LlamaDecoderLayerImpl>();
    auto& attn = *layer->self_attn;
    auto& mlp = *layer->mlp;
    Layer l;
    l.qkv = stacked({attn.q_proj.get(), attn.k_proj.get(), attn.v_proj.get()}, type);
    l.o = stacked({attn.o_proj.get()}, type);
    l.gate_up = stacked({mlp.gate_proj.get(), mlp.up_proj.get()}, type);
    l.down = stacked({mlp.down_proj.get()}, type);
    if (attn.q_proj->bias.defined()) {
      auto bias =
          torch::cat({attn.q_proj->bias, attn.k_proj->bias, attn.v_proj->bias}).contiguous();
      l.qkv_bias.assign(bias.data_ptr<float>(), bias.data_ptr<float>() + bias.numel());
    }
    l.input_norm = values_of(layer->input_layernorm->weight);
    l.post_norm = values_of(layer->post_attention_layernorm->weight);
    layers_.push_back(std::move(l));
  }
  final_norm_ = values_of(backbone.norm->weight);
  const auto& embedding = backbone.embed_tokens->weight;
  const WeightMatrix::Part embedding_rows{embedding.data_ptr<float>(), V_};
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
  each_input(static_cast<std::int64_t>(inputs.size()),
             [&](std::int64_t i) { lookup_->row(inputs[i].token, h + i * C_); });
}

// Rotary embedding of the q and k heads of each input at its position, from the model's
// own tables (the LibTorch path's values): x * cos + rotate_half(x) * sin.
void DecodeEngine::rotate(const std::vector<DecodeInput>& inputs, float* qkv) {
  const auto& rotary = model_.model->rotary();
  const float* cos = rotary.cos_table().data_ptr<float>();
  const float* sin = rotary.sin_table().data_ptr<float>();
  const auto width = (NH_ + 2 * NKV_) * HD_, half = HD_ / 2;
  each_input(static_cast<std::int64_t>(inputs.size()), [&](std::int64_t i) {
    const float* c = cos + inputs[i].position * HD_;
    const float* s = sin + inputs[i].position * HD_;
    thread_local std::vector<float> x;
    x.resize(static_cast<std::size_t>(HD_));
    for (std::int64_t head = 0; head < NH_ + NKV_; ++head) {
      float* v = qkv + static_cast<std::int64_t>(i) * width + head * HD_;
      std::copy(v, v + HD_, x.begin());
      for (std::int64_t j = 0; j < HD_; ++j) v[j] = x[j] * c[j] + x[(j + half) % HD_] * s[j];
    }
  });
}

namespace {

// A prompt's run of consecutive positions on one row attends in blocks of this many
// queries (two GEMMs per block and head); shorter runs (decode steps) one key at a time.
constexpr std::int64_t kBlockRun = 16, kQueryBlock = 64;

struct InputSpan {
  std::int64_t first, count;
};

// Splits the inputs into query blocks (from runs of at least kBlockRun consecutive
// positions on one row) and the single inputs left over.
void split_runs(const std::vector<DecodeInput>& inputs, std::vector<InputSpan>& blocks,
                std::vector<std::int64_t>& singles) {
  const auto N = static_cast<std::int64_t>(inputs.size());
  for (std::int64_t i = 0; i < N;) {
    std::int64_t j = i + 1;
    while (j < N && inputs[j].row == inputs[i].row &&
           inputs[j].position == inputs[j - 1].position + 1)
      ++j;
    if (j - i >= kBlockRun) {
      for (std::int64_t b = i; b < j; b += kQueryBlock)
        blocks.push_back({b, std::min(kQueryBlock, j - b)});
    } else {
      for (std::int64_t k = i; k < j; ++k) singles.push_back(k);
    }
    i = j;
  }
}

// Zigzag from both ends of [0, n): later positions attend to more keys, and each thread's
// contiguous share of a parallel range then holds short and long ones alike.
std::int64_t zigzag(std::int64_t k, std::int64_t n) { return k % 2 == 0 ? k / 2 : n - 1 - k / 2; }

// Cache entries: fp32 floats, or fp16 bits.
float dot(const float* q, const float* k, std::int64_t n) { return dot_f32(q, k, n); }
float dot(const float* q, const std::uint16_t* k, std::int64_t n) { return dot_f32_f16(q, k, n); }
void axpy(float a, const float* v, float* o, std::int64_t n) { axpy_f32(a, v, o, n); }
void axpy(float a, const std::uint16_t* v, float* o, std::int64_t n) { axpy_f16(a, v, o, n); }

// Softmax attention of one query over keys and values [0, L) of its row, a key at a time.
template <typename Entry>
void attend_one(const float* q, const Entry* K, const Entry* V, std::int64_t L, std::int64_t HD,
                float scale, float* o) {
  thread_local std::vector<float> scores;
  scores.resize(static_cast<std::size_t>(L));
  float top = -std::numeric_limits<float>::infinity();
  for (std::int64_t t = 0; t < L; ++t) {
    scores[t] = dot(q, K + t * HD, HD) * scale;
    top = std::max(top, scores[t]);
  }
  float sum = 0;
  for (std::int64_t t = 0; t < L; ++t) sum += (scores[t] = std::exp(scores[t] - top));
  std::fill(o, o + HD, 0.0f);
  for (std::int64_t t = 0; t < L; ++t) axpy(scores[t] / sum, V + t * HD, o, HD);
}

// A query block against its row's first L keys and values, widened to fp32 for the GEMMs
// when the cache holds fp16.
void attend_block_of(const QueryBlock& block, const float* K, const float* V, std::int64_t,
                     std::int64_t HD, float scale, float* out, std::int64_t ldo) {
  attend_block(block, K, V, HD, scale, out, ldo);
}
void attend_block_of(const QueryBlock& block, const std::uint16_t* K, const std::uint16_t* V,
                     std::int64_t L, std::int64_t HD, float scale, float* out, std::int64_t ldo) {
  thread_local std::vector<float> keys, values;
  keys.resize(static_cast<std::size_t>(L * HD));
  values.resize(keys.size());
  fp16_to_fp32_n(K, L * HD, keys.data());
  fp16_to_fp32_n(V, L * HD, values.data());
  attend_block(block, keys.data(), values.data(), HD, scale, out, ldo);
}

}  // namespace

// Softmax(q K^T / sqrt(HD)) V over columns [0, position] of the input's row, per head;
// heads sharing a KV head are adjacent (HF repeat_kv).
void DecodeEngine::attention(const std::vector<DecodeInput>& inputs, KvCache& cache,
                             std::int64_t layer, const float* qkv, float* out) {
  if (cache.dtype() == torch::kHalf)
    return attention_over(inputs, cache, static_cast<const std::uint16_t*>(cache.key_data(layer)),
                          static_cast<const std::uint16_t*>(cache.value_data(layer)), qkv, out);
  attention_over(inputs, cache, static_cast<const float*>(cache.key_data(layer)),
                 static_cast<const float*>(cache.value_data(layer)), qkv, out);
}

template <typename Entry>
void DecodeEngine::attention_over(const std::vector<DecodeInput>& inputs, const KvCache& cache,
                                  const Entry* keys, const Entry* values, const float* qkv,
                                  float* out) const {
  const auto width = (NH_ + 2 * NKV_) * HD_, G = NH_ / NKV_, cap = cache.capacity();
  const float scale = 1.0f / std::sqrt(static_cast<float>(HD_));
  thread_local std::vector<InputSpan> blocks;
  thread_local std::vector<std::int64_t> singles;
  blocks.clear();
  singles.clear();
  split_runs(inputs, blocks, singles);
  auto row_of = [&](const DecodeInput& in, std::int64_t head) {
    return (in.row * NKV_ + head / G) * cap * HD_;
  };
  const auto block_tasks = static_cast<std::int64_t>(blocks.size()) * NH_;
  at::parallel_for(0, block_tasks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t k = begin; k < end; ++k) {
      const auto task = zigzag(k, block_tasks), head = task % NH_;
      const auto& span = blocks[static_cast<std::size_t>(task / NH_)];
      const auto& in = inputs[static_cast<std::size_t>(span.first)];
      const QueryBlock block{qkv + span.first * width + head * HD_, width, span.count, in.position};
      attend_block_of(block, keys + row_of(in, head), values + row_of(in, head),
                      in.position + span.count, HD_, scale, out + (span.first * NH_ + head) * HD_,
                      NH_ * HD_);
    }
  });
  const auto pairs = static_cast<std::int64_t>(singles.size()) * NH_;
  std::int64_t work = 0;
  for (auto i : singles) work += (inputs[static_cast<std::size_t>(i)].position + 1) * NH_ * HD_;
  const std::int64_t grain = work < (1 << 15) ? std::max<std::int64_t>(pairs, 1) : 1;
  at::parallel_for(0, pairs, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int64_t pair = zigzag(k, pairs);
      const auto i = singles[static_cast<std::size_t>(pair / NH_)];
      const auto& in = inputs[static_cast<std::size_t>(i)];
      const auto head = pair % NH_;
      attend_one(qkv + i * width + head * HD_, keys + row_of(in, head), values + row_of(in, head),
                 in.position + 1, HD_, scale, out + (i * NH_ + head) * HD_);
    }
  });
}

// Each input's k and v heads (after rotary) into its row's column `position`.
void DecodeEngine::store_keys_and_values(const std::vector<DecodeInput>& inputs, KvCache& cache,
                                         std::int64_t layer) {
  const auto width = (NH_ + 2 * NKV_) * HD_, cap = cache.capacity();
  const bool half = cache.dtype() == torch::kHalf;
  auto* keys = static_cast<char*>(cache.key_data(layer));
  auto* values = static_cast<char*>(cache.value_data(layer));
  const std::int64_t entry = half ? 2 : 4;
  each_input(static_cast<std::int64_t>(inputs.size()), [&](std::int64_t i) {
    const auto& in = inputs[static_cast<std::size_t>(i)];
    for (std::int64_t g = 0; g < NKV_; ++g) {
      const auto at = ((in.row * NKV_ + g) * cap + in.position) * HD_ * entry;
      const float* k = &qkv_[i * width + (NH_ + g) * HD_];
      const float* v = &qkv_[i * width + (NH_ + NKV_ + g) * HD_];
      if (half) {
        fp32_to_fp16_n(k, HD_, reinterpret_cast<std::uint16_t*>(keys + at));
        fp32_to_fp16_n(v, HD_, reinterpret_cast<std::uint16_t*>(values + at));
      } else {
        std::copy(k, k + HD_, reinterpret_cast<float*>(keys + at));
        std::copy(v, v + HD_, reinterpret_cast<float*>(values + at));
      }
    }
  });
}

torch::Tensor DecodeEngine::forward(const std::vector<DecodeInput>& inputs, KvCache& cache) {
  const auto N = static_cast<std::int64_t>(inputs.size());
  std::int64_t max_position = 0, wanted = 0;
  for (const auto& in : inputs) {
    if (in.token < 0 || in.token >= V_)
      throw std::out_of_range("token id " + std::to_string(in.token) +
                              " outside the vocabulary of " + std::to_string(V_));
    if (in.row < 0 || in.row >= cache.batch() || in.position < 0 || in.position >= cache.capacity())
      throw std::length_error("decode input at row " + std::to_string(in.row) + ", position " +
                              std::to_string(in.position) + " outside the KV cache (" +
                              std::to_string(cache.batch()) + " rows, " +
                              std::to_string(cache.capacity()) + " positions)");
    max_position = std::max(max_position, in.position);
    wanted += in.logits ? 1 : 0;
  }
  model_.model->rotary().reserve(max_position + 1);
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
    rotate(inputs, qkv_.data());
    store_keys_and_values(inputs, cache, static_cast<std::int64_t>(l));
    attention(inputs, cache, static_cast<std::int64_t>(l), qkv_.data(), att_.data());
    layer.o.multiply(att_.data(), N, tmp_.data());
    each_input(N, [&](std::int64_t i) {
      for (std::int64_t j = i * C_; j < (i + 1) * C_; ++j) h_[j] += tmp_[j];
      rms_norm(&h_[i * C_], layer.post_norm.data(), C_, eps_, &xn_[i * C_]);
    });
    layer.gate_up.multiply(xn_.data(), N, gu_.data());
    each_input(N, [&](std::int64_t i) {
      for (std::int64_t j = 0; j < I_; ++j) {
        const float g = gu_[i * 2 * I_ + j], u = gu_[i * 2 * I_ + I_ + j];
        act_[i * I_ + j] = g / (1.0f + std::exp(-g)) * u;  // SwiGLU: silu(gate) * up
      }
    });
    layer.down.multiply(act_.data(), N, tmp_.data());
    each_input(N, [&](std::int64_t i) {
      for (std::int64_t j = i * C_; j < (i + 1) * C_; ++j) h_[j] += tmp_[j];
    });
  }
  std::int64_t m = 0;
  for (std::int64_t i = 0; i < N; ++i)
    if (inputs[static_cast<std::size_t>(i)].logits)
      rms_norm(&h_[i * C_], final_norm_.data(), C_, eps_, &xn_[m++ * C_]);
  auto logits = torch::empty({wanted, V_}, torch::kFloat32);
  if (wanted > 0) head_.multiply(xn_.data(), wanted, logits.data_ptr<float>());
  return logits;
}

}  // namespace chosei
