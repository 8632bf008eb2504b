#include "model/layers.h"

#include <cmath>

#include "model/frozen_linear.h"
#include "model/matvec.h"
#include "model/rope_frequencies.h"

namespace chosei {

torch::Tensor project(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias, Precision precision) {
  // A frozen base held in half precision under LoRA computes in fp32 all the same.
  if (precision == Precision::kFP32 && held_in_half(weight)) return frozen_linear(x, weight, bias);
  const bool one_row = x.numel() == x.size(-1);
  if (one_row && !torch::GradMode::is_enabled() && x.is_cpu()) {
    return precision == Precision::kBF16 ? matvec_bf16(x, weight, bias)
                                         : matvec_fp32(x, weight, bias);
  }
  if (precision == Precision::kFP32) return torch::nn::functional::linear(x, weight, bias);
  auto y = torch::nn::functional::linear(x.to(torch::kBFloat16), weight, bias);
  // Training keeps bf16 activations between products (as torch.autocast does); inference
  // returns fp32 so that prefill and one-row decoding fill the KV cache in one dtype.
  return torch::GradMode::is_enabled() ? y : y.to(torch::kFloat32);
}

ProjectionImpl::ProjectionImpl(std::int64_t in_features, std::int64_t out_features, bool bias) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}));
  if (bias) this->bias = register_parameter("bias", torch::zeros({out_features}));
}

namespace {
// A registered submodule holding one "weight", so PEFT's "lora_A.weight" naming falls out.
struct LoraWeight : torch::nn::Module {
  explicit LoraWeight(torch::Tensor w) { weight = register_parameter("weight", std::move(w)); }
  torch::Tensor weight;
};
}  // namespace

void ProjectionImpl::add_lora(std::int64_t r, double alpha, double dropout) {
  if (r <= 0) throw std::invalid_argument("LoRA rank must be positive");
  const auto out = weight.size(0), in = weight.size(1);
  // Drawn on the CPU whatever the device: the same seed gives the same adapter everywhere.
  auto a = torch::empty({r, in});
  torch::nn::init::kaiming_uniform_(a, std::sqrt(5.0));  // PEFT's (and nn.Linear's) default
  lora_A_ = register_module("lora_A", std::make_shared<LoraWeight>(a.to(weight.device())))->weight;
  lora_B_ = register_module("lora_B", std::make_shared<LoraWeight>(torch::zeros(
                                          {out, r}, weight.options().dtype(torch::kFloat32))))
                ->weight;
  lora_scale_ = alpha / double(r);
  lora_dropout_ = dropout;
}

void ProjectionImpl::merge_lora() {
  if (!has_lora()) return;
  torch::NoGradGuard no_grad;
  // A base held in half precision for training is merged (and kept) in fp32.
  if (weight.scalar_type() != torch::kFloat32) weight.set_data(weight.to(torch::kFloat32));
  if (bias.defined() && bias.scalar_type() != torch::kFloat32)
    bias.set_data(bias.to(torch::kFloat32));
  weight.add_(torch::matmul(lora_B_, lora_A_), lora_scale_);
  unregister_module("lora_A");
  unregister_module("lora_B");
  lora_A_ = lora_B_ = torch::Tensor();
  invalidate_cache();
}

torch::Tensor ProjectionImpl::forward(const torch::Tensor& x, Precision precision) {
  if (lora_active()) {
    auto base = precision == Precision::kFP32
                    ? project(x, weight, bias, precision)
                    : project(x, weight.to(torch::kBFloat16),
                              bias.defined() ? bias.to(torch::kBFloat16) : bias, precision);
    auto h = lora_dropout_ > 0 ? torch::dropout(x, lora_dropout_, is_training()) : x;
    auto a = lora_A_, b = lora_B_;
    if (base.scalar_type() != torch::kFloat32) {  // bf16 training: the update in bf16 too
      h = h.to(base.scalar_type());
      a = a.to(base.scalar_type());
      b = b.to(base.scalar_type());
    } else {
      h = h.to(torch::kFloat32);
    }
    return base + torch::matmul(torch::matmul(h, a.t()), b.t()) * lora_scale_;
  }
  if (precision == Precision::kFP32) return project(x, weight, bias, precision);
  torch::Tensor w, b;
  if (torch::GradMode::is_enabled()) {
    w = weight.to(torch::kBFloat16);
    if (bias.defined()) b = bias.to(torch::kBFloat16);
  } else {
    if (!weight_bf16_.defined()) {
      weight_bf16_ = weight.to(torch::kBFloat16);
      if (bias.defined()) bias_bf16_ = bias.to(torch::kBFloat16);
    }
    w = weight_bf16_;
    b = bias_bf16_;
  }
  return project(x, w, b, precision);
}

torch::Tensor FusedProjection::project_concatenated(const torch::Tensor& x,
                                                    const std::vector<ProjectionImpl*>& parts,
                                                    Precision precision) {
  // Training: concatenating the weights inside the graph costs one copy per step, far less
  // than one small product (and its backward) per part.
  std::vector<torch::Tensor> w, b;
  for (auto* p : parts) {
    w.push_back(p->weight);
    if (p->bias.defined()) b.push_back(p->bias);
  }
  auto weight = torch::cat(w, 0);
  auto bias = b.size() == parts.size() ? torch::cat(b, 0) : torch::Tensor();
  if (precision == Precision::kBF16) {
    weight = weight.to(torch::kBFloat16);
    if (bias.defined()) bias = bias.to(torch::kBFloat16);
  }
  return project(x, weight, bias, precision);
}

torch::Tensor FusedProjection::forward(const torch::Tensor& x,
                                       const std::vector<ProjectionImpl*>& parts,
                                       Precision precision) {
  bool adapted = false;
  for (auto* p : parts) adapted = adapted || p->lora_active();
  // LoRA: each part adds its own low-rank update. A base held in half precision: a fused
  // copy would hold the parts a second time, and in fp32 under fp32 precision.
  if (adapted || held_in_half(parts.front()->weight)) {
    std::vector<torch::Tensor> outs;
    for (auto* p : parts) outs.push_back(p->forward(x, precision));
    return torch::cat(outs, -1);
  }
  if (torch::GradMode::is_enabled()) return project_concatenated(x, parts, precision);
  const auto dtype = precision == Precision::kBF16 ? torch::kBFloat16 : torch::kFloat32;
  if (!weight_.defined() || built_for_ != precision) {
    std::vector<torch::Tensor> w, b;
    for (auto* p : parts) {
      w.push_back(p->weight);
      if (p->bias.defined()) b.push_back(p->bias);
    }
    weight_ = torch::cat(w, 0).to(dtype).contiguous();
    bias_ = b.size() == parts.size() ? torch::cat(b, 0).to(dtype) : torch::Tensor();
    built_for_ = precision;
  }
  return project(x, weight_, bias_, precision);
}

RmsNormImpl::RmsNormImpl(std::int64_t dim, double eps, bool offset_one)
    : eps_(eps), offset_one_(offset_one) {
  weight = register_parameter("weight", offset_one ? torch::zeros({dim}) : torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  auto variance = x.pow(2).mean(-1, /*keepdim=*/true);
  auto normed = x * torch::rsqrt(variance + eps_);
  return offset_one_ ? normed * (1.0 + weight) : weight * normed;
}

void RotaryTables::grow(std::int64_t wanted) {
  torch::NoGradGuard no_grad;
  auto t = torch::arange(wanted, torch::kFloat32);
  auto freqs = torch::outer(t, inv_freq);  // (P, RD/2), fp32 as HF's rotary embedding
  // HF multiplies cos and sin by the scaling's attention factor (YaRN, LongRoPE).
  auto c = freqs.cos() * attention_factor, s = freqs.sin() * attention_factor;
  cos = torch::cat({c, c}, -1);  // (P, RD)
  // rotate_half(x) * sin == roll(x, RD/2) * [-sin, sin]: one roll instead of chunk/neg/cat.
  sin = torch::cat({-s, s}, -1);
  positions = wanted;
  device_cos = device_sin = torch::Tensor();
}

namespace {

RotaryTables tables_from(const RopeFrequencies& f) {
  RotaryTables t;
  t.inv_freq = f.inv_freq;
  t.attention_factor = f.attention_factor;
  return t;
}

}  // namespace

RotaryTable::RotaryTable(std::int64_t head_dim, std::int64_t max_positions,
                         const RopeParameters& rope)
    : rope_(rope),
      head_dim_(head_dim),
      rotary_dim_(rope.rotary_dim(head_dim)),
      max_position_embeddings_(max_positions) {
  base_ = tables_from(rope_frequencies(rope, head_dim, max_positions));
  base_.grow(max_positions);
  if (rope.type == "longrope")
    long_ = tables_from(
        rope_frequencies(rope, head_dim, max_positions, rope.original_max_position_embeddings + 1));
}

RotaryTables& RotaryTable::select(std::int64_t length) {
  RotaryTables* t = &base_;
  if (rope_.type == "longrope" && length > rope_.original_max_position_embeddings) t = &long_;
  if (rope_.type == "dynamic" && length > max_position_embeddings_) {
    if (length != dynamic_length_) {  // transformers recomputes them as the sequence grows
      dynamic_ = tables_from(rope_frequencies(rope_, head_dim_, max_position_embeddings_, length));
      dynamic_length_ = length;
    }
    t = &dynamic_;
  }
  if (length > t->positions) t->grow(std::max(length, 2 * t->positions));
  return *t;
}

const RotaryTables& RotaryTable::tables(std::int64_t sequence_length) {
  return select(sequence_length);
}

std::pair<torch::Tensor, torch::Tensor> RotaryTable::on_device(RotaryTables& t,
                                                               const torch::Device& device) {
  if (device == t.cos.device()) return {t.cos, t.sin};
  if (!t.device_cos.defined() || t.device_cos.device() != device) {
    t.device_cos = t.cos.to(device);
    t.device_sin = t.sin.to(device);
  }
  return {t.device_cos, t.device_sin};
}

torch::Tensor RotaryTable::apply(const torch::Tensor& x, const torch::Tensor& positions,
                                 std::int64_t max_position, std::int64_t contiguous_start) {
  auto [cos, sin] = on_device(select(max_position), x.device());
  const auto B = positions.size(0), T = positions.size(1), RD = rotary_dim_;
  if (B == 1 && contiguous_start >= 0) {  // plain decoding: a view, no gather
    cos = cos.narrow(0, contiguous_start, T).view({1, T, 1, RD});
    sin = sin.narrow(0, contiguous_start, T).view({1, T, 1, RD});
  } else {
    auto flat = positions.reshape(-1);
    cos = cos.index_select(0, flat).view({B, T, 1, RD});
    sin = sin.index_select(0, flat).view({B, T, 1, RD});
  }
  // In the activations' dtype, as HF does (cos.to(x.dtype)).
  cos = cos.to(x.scalar_type());
  sin = sin.to(x.scalar_type());
  if (RD == head_dim_) return torch::addcmul(x * cos, x.roll(RD / 2, -1), sin);
  auto rotated = x.narrow(-1, 0, RD);  // partial rotary: the rest pass through
  return torch::cat({torch::addcmul(rotated * cos, rotated.roll(RD / 2, -1), sin),
                     x.narrow(-1, RD, head_dim_ - RD)},
                    -1);
}

}  // namespace chosei
