#include "model/llama_model.h"

#include "base/allocator_tuning.h"
#include "model/activation_checkpoint.h"
#include "model/compute_device.h"

#include <cmath>
#include <stdexcept>

namespace chosei {

namespace F = torch::nn::functional;

LlamaAttentionImpl::LlamaAttentionImpl(const ModelConfig& c)
    : n_heads_(c.num_attention_heads),
      n_kv_heads_(c.num_key_value_heads),
      head_dim_(c.effective_head_dim()),
      scale_(c.attention_scale()) {
  const auto C = c.hidden_size;
  if (c.architecture().fused_projections) {
    qkv_proj = register_module(
        "qkv_proj", Projection(C, (n_heads_ + 2 * n_kv_heads_) * head_dim_, c.attention_bias));
  } else {
    q_proj = register_module("q_proj", Projection(C, n_heads_ * head_dim_, c.attention_bias));
    k_proj = register_module("k_proj", Projection(C, n_kv_heads_ * head_dim_, c.attention_bias));
    v_proj = register_module("v_proj", Projection(C, n_kv_heads_ * head_dim_, c.attention_bias));
  }
  o_proj = register_module("o_proj", Projection(n_heads_ * head_dim_, C,
                                                c.attention_bias && c.architecture().output_bias));
  const bool offset = c.architecture().norm_offset_one;
  if (c.architecture().qk_norm) {
    q_norm = register_module("q_norm", RmsNorm(head_dim_, c.rms_norm_eps, offset));
    k_norm = register_module("k_norm", RmsNorm(head_dim_, c.rms_norm_eps, offset));
  }
}

std::vector<ProjectionImpl*> LlamaAttentionImpl::qkv_parts() const {
  if (qkv_proj) return {qkv_proj.ptr().get()};
  return {q_proj.ptr().get(), k_proj.ptr().get(), v_proj.ptr().get()};
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, RotaryTable* rope,
                                          const torch::Tensor& positions, std::int64_t max_position,
                                          std::int64_t contiguous_start,
                                          const torch::Tensor& mask_bias,
                                          const ForwardOptions& options, std::int64_t layer,
                                          Precision precision) {
  const auto B = x.size(0), T = x.size(1);
  const auto G = n_heads_ / n_kv_heads_;  // query heads per KV head
  // One product for q|k|v, then one rotary pass over the q and k heads together. split, not
  // narrow: its backward concatenates the gradients instead of zero-filling one per slice.
  auto qkv = (qkv_proj ? qkv_proj->forward(x, precision) : qkv_.forward(x, qkv_parts(), precision))
                 .view({B, T, n_heads_ + 2 * n_kv_heads_, head_dim_})
                 .split_with_sizes({n_heads_ + n_kv_heads_, n_kv_heads_}, 2);
  auto q_and_k = qkv[0];
  if (q_norm) {  // each head's q and k normalized over its HD channels before RoPE
    auto parts = q_and_k.split_with_sizes({n_heads_, n_kv_heads_}, 2);
    q_and_k = torch::cat({q_norm->forward(parts[0]), k_norm->forward(parts[1])}, 2);
  }
  const auto rope_length = std::max(options.rope_length, max_position);
  auto rotated = rope ? rope->apply(q_and_k, positions, rope_length, contiguous_start) : q_and_k;
  auto qk = rotated.split_with_sizes({n_heads_, n_kv_heads_}, 2);
  auto q = qk[0];
  auto k = qk[1].transpose(1, 2);  // (B, NKV, T, HD)
  auto v = qkv[1].transpose(1, 2);
  if (options.cache_at_positions)
    std::tie(k, v) = options.cache->store_at_positions(layer, k, v, positions, max_position);
  else if (options.cache)
    std::tie(k, v) = options.cache->append(layer, k, v);  // (B, NKV, L, HD)
  const auto L = k.size(2);
  // Heads sharing a KV head are adjacent (HF repeat_kv): head h reads KV head h / G.
  q = q.reshape({B, T, n_kv_heads_, G, head_dim_})
          .permute({0, 2, 3, 1, 4})
          .reshape({B, n_kv_heads_, G * T, head_dim_});
  // Products in the compute dtype, softmax in fp32 (as torch.autocast does).
  auto scores = torch::matmul(q, k.transpose(-1, -2))
                    .to(torch::kFloat32)
                    .mul_(scale_)
                    .view({B, n_kv_heads_, G, T, L});
  if (mask_bias.defined()) scores.add_(mask_bias.view({mask_bias.size(0), 1, 1, T, L}));
  auto probs = torch::softmax(scores, -1).view({B, n_kv_heads_, G * T, L}).to(v.scalar_type());
  auto out = torch::matmul(probs, v)  // (B, NKV, G*T, HD)
                 .view({B, n_kv_heads_, G, T, head_dim_})
                 .permute({0, 3, 1, 2, 4})
                 .reshape({B, T, n_heads_ * head_dim_});
  return o_proj->forward(out, precision);
}

LlamaMlpImpl::LlamaMlpImpl(const ModelConfig& c)
    : intermediate_(c.intermediate_size), activation_(c.architecture().activation) {
  if (c.architecture().fused_projections) {
    gate_up_proj =
        register_module("gate_up_proj", Projection(c.hidden_size, 2 * c.intermediate_size, false));
  } else {
    gate_proj = register_module("gate_proj", Projection(c.hidden_size, c.intermediate_size, false));
    up_proj = register_module("up_proj", Projection(c.hidden_size, c.intermediate_size, false));
  }
  down_proj = register_module("down_proj", Projection(c.intermediate_size, c.hidden_size, false));
}

std::vector<ProjectionImpl*> LlamaMlpImpl::gate_up_parts() const {
  if (gate_up_proj) return {gate_up_proj.ptr().get()};
  return {gate_proj.ptr().get(), up_proj.ptr().get()};
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor& x, Precision precision) {
  auto gate_up = gate_up_proj ? gate_up_proj->forward(x, precision)
                              : gate_up_.forward(x, gate_up_parts(), precision);
  auto parts = gate_up.chunk(2, -1);
  auto gate = activation_ == Activation::kSilu
                  ? F::silu(parts[0])
                  : F::gelu(parts[0], F::GELUFuncOptions().approximate("tanh"));
  auto hidden = gate * parts[1];
  return down_proj->forward(hidden, precision);
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const ModelConfig& c) {
  self_attn = register_module("self_attn", LlamaAttention(c));
  mlp = register_module("mlp", LlamaMlp(c));
  const bool offset = c.architecture().norm_offset_one;
  auto norm = [&](const char* name) {
    return register_module(name, RmsNorm(c.hidden_size, c.rms_norm_eps, offset));
  };
  input_layernorm = norm("input_layernorm");
  post_attention_layernorm = norm("post_attention_layernorm");
  if (c.architecture().norms == NormPlacement::kSandwich) {
    pre_feedforward_layernorm = norm("pre_feedforward_layernorm");
    post_feedforward_layernorm = norm("post_feedforward_layernorm");
  }
}

LlamaBackboneImpl::LlamaBackboneImpl(const ModelConfig& c)
    : config_(c),
      rope_(c.effective_head_dim(), c.max_position_embeddings, c.rope),
      rope_local_(c.effective_head_dim(),
                  c.architecture().local_rope ? c.max_position_embeddings : 1, c.rope_local) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(LlamaDecoderLayer(c));
  norm = register_module("norm",
                         RmsNorm(c.hidden_size, c.rms_norm_eps, c.architecture().norm_offset_one));
  // transformers keeps the scale as a tensor in the weights' dtype: sqrt(C) rounded to fp32.
  if (c.architecture().embedding_scale)
    embedding_scale_ = static_cast<float>(std::pow(static_cast<double>(c.hidden_size), 0.5));
}

RotaryTable& LlamaBackboneImpl::rotary(std::int64_t layer) {
  return config_.architecture().local_rope && config_.layer_is_sliding(layer) ? rope_local_ : rope_;
}

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const ModelConfig& config) : config_(config) {
  config_.validate("model config");
  model = register_module("model", LlamaBackbone(config_));
  if (!config_.tie_word_embeddings)
    lm_head =
        register_module("lm_head", Projection(config_.hidden_size, config_.vocab_size, false));
}

namespace {

// Causal mask (1, T, L) for T new queries after `past` cached positions.
torch::Tensor causal_mask(std::int64_t T, std::int64_t past, torch::Device device) {
  const auto on = torch::TensorOptions(torch::kLong).device(device);
  auto q = torch::arange(past, past + T, on).unsqueeze(1);
  auto k = torch::arange(past + T, on).unsqueeze(0);
  return k.le(q).unsqueeze(0);
}

// The sliding-window layers' "may attend" mask (B or 1, T, L): `allowed` (all keys when
// undefined) and key position > query position - window, as transformers'
// sliding_window_overlay. A cache's column is its position; without one, key l is input l.
torch::Tensor window_mask(const torch::Tensor& allowed, const torch::Tensor& positions, bool cached,
                          std::int64_t L, std::int64_t window) {
  const auto on = positions.options().dtype(torch::kLong);
  auto query = positions.unsqueeze(2);  // (B, T, 1)
  auto key = cached ? torch::arange(L, on).view({1, 1, L}) : positions.unsqueeze(1);
  auto near = key.gt(query - window);
  return allowed.defined() ? allowed.logical_and(near) : near;
}

// A boolean "may attend" mask as the bias added to the scores: 0 or -inf, built once per
// forward instead of one masked_fill per layer.
torch::Tensor attention_bias(const torch::Tensor& allowed) {
  return torch::zeros(allowed.sizes(), allowed.options().dtype(torch::kFloat32))
      .masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity());
}

}  // namespace

torch::Tensor LlamaBackboneImpl::forward(const torch::Tensor& ids, const ForwardOptions& options,
                                         Precision precision) {
  if (ids.dim() != 2) throw std::invalid_argument("forward: ids must be (B, T)");
  if (options.cache_at_positions &&
      (!options.cache || !options.positions.defined() || !options.attention_mask.defined()))
    throw std::invalid_argument("forward: cache_at_positions needs a cache, positions and a mask");
  const auto B = ids.size(0), T = ids.size(1);
  const std::int64_t past = options.cache ? options.cache->length() : 0;
  torch::Tensor positions = options.positions;
  std::int64_t max_position = past + T, contiguous_start = past;
  if (!positions.defined()) {
    positions = torch::arange(past, past + T, ids.options().dtype(torch::kLong))
                    .unsqueeze(0)
                    .expand({B, T});
  } else {
    max_position = positions.numel() ? positions.max().item<std::int64_t>() + 1 : 0;
    contiguous_start = -1;
  }
  torch::Tensor allowed = options.attention_mask;
  if (!allowed.defined() && T > 1) allowed = causal_mask(T, past, ids.device());
  const torch::Tensor mask = allowed.defined() ? attention_bias(allowed) : torch::Tensor();
  torch::Tensor sliding_mask;
  if (config_.sliding_window > 0) {
    const auto L = allowed.defined() ? allowed.size(-1) : past + T;
    sliding_mask = attention_bias(
        window_mask(allowed, positions, options.cache != nullptr, L, config_.sliding_window));
  }

  auto h = embed_tokens->forward(ids);
  if (h.scalar_type() != torch::kFloat32) h = h.to(torch::kFloat32);  // a frozen half table
  if (embedding_scale_ != 1.0f) h = h * torch::tensor(embedding_scale_, h.options());
  const bool recompute = checkpoint_layers_ && !options.cache && torch::GradMode::is_enabled();
  for (std::int64_t index = 0; index < static_cast<std::int64_t>(layers->size()); ++index) {
    // By value: a checkpointed layer runs again in the backward pass, after this returns.
    auto layer = [this, index, positions, max_position, contiguous_start, options, precision,
                  layer_mask = config_.layer_is_sliding(index) ? sliding_mask
                                                               : mask](const torch::Tensor& x) {
      return decoder_layer(index, x, positions, max_position, contiguous_start, layer_mask, options,
                           precision);
    };
    h = recompute ? checkpointed(layer, h) : layer(h);
  }
  if (options.cache && !options.cache_at_positions) options.cache->advance(T);
  return norm->forward(h);
}

torch::Tensor LlamaBackboneImpl::decoder_layer(std::int64_t index, const torch::Tensor& h,
                                               const torch::Tensor& positions,
                                               std::int64_t max_position,
                                               std::int64_t contiguous_start,
                                               const torch::Tensor& mask,
                                               const ForwardOptions& options, Precision precision) {
  auto layer = (*layers)[static_cast<std::size_t>(index)]->as<LlamaDecoderLayerImpl>();
  auto* rope = config_.layer_uses_rope(index) ? &rotary(index) : nullptr;
  auto a =
      layer->self_attn->forward(layer->input_layernorm->forward(h), rope, positions, max_position,
                                contiguous_start, mask, options, index, precision);
  if (auto* post = layer->attention_output_norm()) a = post->forward(a);
  auto x = h + a;
  auto m = layer->mlp->forward(layer->mlp_input_norm()->forward(x), precision);
  if (auto* post = layer->mlp_output_norm()) m = post->forward(m);
  return x + m;
}

torch::Tensor LlamaForCausalLMImpl::hidden_states(const torch::Tensor& ids,
                                                  const ForwardOptions& options) {
  if (decode_only_)
    throw std::logic_error("this model keeps only its decoding weights: no hidden states");
  return model->forward(ids, options, precision_);
}

torch::Tensor LlamaForCausalLMImpl::logits_from_hidden(const torch::Tensor& hidden) {
  auto logits = head_product(hidden).to(torch::kFloat32);  // the loss and the sampler read fp32
  const double cap = config_.final_logit_softcapping;
  return cap > 0 ? torch::tanh(logits / cap) * cap : logits;
}

torch::Tensor LlamaForCausalLMImpl::head_product(const torch::Tensor& hidden) {
  if (lm_head) return lm_head->forward(hidden, precision_);
  const auto& w = model->embed_tokens->weight;
  if (precision_ == Precision::kFP32) return project(hidden, w, {}, precision_);
  torch::Tensor w16;
  if (torch::GradMode::is_enabled()) {
    w16 = w.to(torch::kBFloat16);
  } else {
    if (!tied_head_bf16_.defined()) tied_head_bf16_ = w.to(torch::kBFloat16);
    w16 = tied_head_bf16_;
  }
  return project(hidden, w16, {}, precision_);
}

WeightType LlamaForCausalLMImpl::decode_weights() const {
  if (decode_weights_) return *decode_weights_;
  return precision_ == Precision::kBF16 ? WeightType::kBF16 : WeightType::kF32;
}

DecodeEngine& LlamaForCausalLMImpl::decode_engine() {
  const auto type = decode_weights();
  if (decode_only_) {
    if (!engine_->matches(type))
      throw std::logic_error(std::string("this model keeps only its ") +
                             weight_type_name(engine_->weight_type()) + " decoding weights");
    return *engine_;
  }
  if (!engine_ || !engine_->matches(type)) {
    engine_.reset();  // before packing the new one: one copy of the weights at a time
    engine_ = std::make_shared<DecodeEngine>(*this, type);
  }
  return *engine_;
}

torch::Device LlamaForCausalLMImpl::device() const { return module_device(*this); }

bool LlamaForCausalLMImpl::decodes_on_engine() const {
  return decode_only_ || (engine_decoding_ && device().is_cpu());
}

void LlamaForCausalLMImpl::keep_only_decode_weights() {
  if (!device().is_cpu())
    throw std::invalid_argument(std::string("packed ") + weight_type_name(decode_weights()) +
                                " decoding weights are the CPU's decode engine; on " +
                                device().str() + " decode in fp32 or --precision bf16");
  auto& engine = decode_engine();
  engine.own_weights();
  torch::NoGradGuard no_grad;
  for (auto& p : parameters()) p.set_data(torch::empty({0}));
  decode_only_ = true;
  invalidate_precision_caches(*this);  // drops LibTorch's copies, keeps the engine
  return_freed_memory();
}

// Every row of ids (B, T) continues at the cache's length (a temporary cache without one).
torch::Tensor LlamaForCausalLMImpl::engine_forward(const torch::Tensor& ids,
                                                   const ForwardOptions& options) {
  if (torch::GradMode::is_enabled() || options.positions.defined() ||
      options.attention_mask.defined())
    throw std::logic_error(
        "this model keeps only its decoding weights: no training, masks or explicit positions");
  const auto B = ids.size(0), T = ids.size(1);
  std::optional<KvCache> scratch;
  KvCache* cache = options.cache;
  if (!cache) cache = &scratch.emplace(config_, B, T);
  const auto start = cache->length();
  auto flat = ids.to(torch::kLong).contiguous();
  const auto* tokens = flat.data_ptr<std::int64_t>();
  std::vector<DecodeInput> inputs;
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < T; ++t)
      inputs.push_back(
          {tokens[b * T + t], b, start + t, !options.last_position_only || t == T - 1});
  auto logits = decode_engine().forward(inputs, *cache);
  cache->advance(T);
  return logits.view({B, options.last_position_only ? 1 : T, -1});
}

// Decoding steps (one new token per row, every row at the cache's length, no mask, no
// gradients) run on the decode engine; prompts, packed or masked batches and training run
// on LibTorch.
bool LlamaForCausalLMImpl::takes_engine_path(const torch::Tensor& ids,
                                             const ForwardOptions& options) const {
  return decodes_on_engine() && options.cache && ids.dim() == 2 && ids.size(1) == 1 &&
         !torch::GradMode::is_enabled() && !options.positions.defined() &&
         !options.attention_mask.defined() && ids.size(0) <= options.cache->batch();
}

torch::Tensor LlamaForCausalLMImpl::forward(const torch::Tensor& ids,
                                            const ForwardOptions& options) {
  if (decode_only_ || takes_engine_path(ids, options)) return engine_forward(ids, options);
  auto h = hidden_states(ids, options);
  if (options.last_position_only) h = h.narrow(1, h.size(1) - 1, 1);
  return logits_from_hidden(h);
}

void LlamaForCausalLMImpl::initialize(std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (auto& p : named_parameters()) {
    const auto& name = p.key();
    auto& t = p.value();
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0)
      t.zero_();
    else if (name.find("norm") != std::string::npos)
      t.fill_(config_.architecture().norm_offset_one ? 0.0 : 1.0);
    else
      t.normal_(0.0, config_.initializer_range);
  }
  invalidate_precision_cache();
}

void LlamaForCausalLMImpl::invalidate_precision_cache() { invalidate_precision_caches(*this); }

void set_activation_checkpointing(torch::nn::Module& root, bool on) {
  for (auto& m : root.modules())
    if (auto* backbone = m->as<LlamaBackboneImpl>()) backbone->set_activation_checkpointing(on);
}

void invalidate_precision_caches(torch::nn::Module& root) {
  for (auto& m : root.modules()) {
    if (auto* proj = m->as<ProjectionImpl>()) proj->invalidate_cache();
    if (auto* attn = m->as<LlamaAttentionImpl>()) attn->reset_fused();
    if (auto* mlp = m->as<LlamaMlpImpl>()) mlp->reset_fused();
    if (auto* lm = m->as<LlamaForCausalLMImpl>()) {
      lm->clear_tied_head_cache();
      lm->clear_decode_engine();  // kept when it is all the model has
    }
  }
}

LlamaForCausalLM resize_token_embeddings(LlamaForCausalLM& model, std::int64_t vocab_size) {
  auto config = model->config();
  const auto old_vocab = config.vocab_size;
  config.vocab_size = vocab_size;
  LlamaForCausalLM resized(config);
  torch::NoGradGuard no_grad;
  auto old_params = model->named_parameters();
  for (auto& p : resized->named_parameters()) {
    const auto& old = old_params[p.key()];
    if (p.key() == "model.embed_tokens.weight" || p.key() == "lm_head.weight") {
      const auto keep = std::min(old_vocab, vocab_size);
      p.value().narrow(0, 0, keep).copy_(old.narrow(0, 0, keep));
      if (vocab_size > old_vocab)
        p.value()
            .narrow(0, old_vocab, vocab_size - old_vocab)
            .copy_(old.to(torch::kFloat32)
                       .mean(0, true)
                       .expand({vocab_size - old_vocab, old.size(1)}));
    } else {
      p.value().copy_(old);
    }
  }
  resized->set_precision(model->precision());
  return resized;
}

}  // namespace chosei
