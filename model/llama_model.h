#pragma once
// LlamaForCausalLM: the decoder of every family in the architecture registry
// (model/architecture.h: Llama, Mistral, Qwen2/3, Gemma 3, SmolLM3, Phi-3), with HF's module
// tree (model.embed_tokens, model.layers.N.{self_attn.{q,k,v,o}_proj or qkv_proj and o_proj,
// self_attn.{q,k}_norm, mlp ({gate,up,down}_proj or gate_up_proj and down_proj), input_layernorm,
// post_attention_layernorm, pre/post_feedforward_layernorm}, model.norm, lm_head), so
// named_parameters() maps 1:1 onto a Hugging Face safetensors checkpoint. The block's traits come
// from the registry entry, never from a family name.
//
//   LlamaForCausalLM model(config);
//   auto logits = model->forward(ids);              // (B, T, V)
//   KvCache cache(config, 1, 256);
//   model->forward(prompt, {&cache});                // prefill
//   model->forward(next_token, {&cache});            // one decode step
//
// Not thread-safe: one forward at a time per instance.

#include <torch/torch.h>

#include <memory>
#include <optional>

#include "base/precision.h"
#include "model/decode_engine.h"
#include "model/kv_cache.h"
#include "model/layers.h"
#include "model/model_config.h"

namespace chosei {

struct ForwardOptions {
  KvCache* cache = nullptr;
  // (B, T) int64 positions; default: cache length + [0, T).
  torch::Tensor positions;
  // (B, T, L) bool, true where query t may attend key l (L = cache length + T). Default:
  // causal. Packed batches pass a block-diagonal causal mask; padded batches mask pads.
  torch::Tensor attention_mask;
  // Compute logits only for the last position (generation), giving (B, 1, V).
  bool last_position_only = false;
  // Row b's tokens go into the cache at its own `positions` (KvCache::store_at_positions)
  // instead of at the cache's length, which does not advance: a batched decoding step
  // through LibTorch, as the decode engine takes it on the CPU. Needs `positions` and a
  // mask over [0, max position + 1).
  bool cache_at_positions = false;
  // The sequence length whose RoPE frequencies apply (dynamic, longrope); 0: the largest
  // position + 1, as transformers takes it. A cache recomputed for LongRoPE
  // (RopeParameters::recompute_cache) is written for the length it is about to reach.
  std::int64_t rope_length = 0;
};

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  explicit LlamaAttentionImpl(const ModelConfig& config);
  // x (B, T, C) -> (B, T, C)
  // rope null: the layer attends without rotary embeddings (NoPE).
  torch::Tensor forward(const torch::Tensor& x, RotaryTable* rope, const torch::Tensor& positions,
                        std::int64_t max_position, std::int64_t contiguous_start,
                        const torch::Tensor& mask_bias, const ForwardOptions& options,
                        std::int64_t layer,
                        Precision precision);  // mask_bias (B or 1, T, L): 0 or -inf
  void reset_fused() { qkv_.reset(); }
  // The projections whose outputs, concatenated, are q|k|v: q, k and v, or the one qkv_proj.
  std::vector<ProjectionImpl*> qkv_parts() const;
  Projection q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  Projection qkv_proj{nullptr};  // Architecture::fused_projections (Phi-3): q|k|v in one
  RmsNorm q_norm{nullptr}, k_norm{nullptr};  // per head, before RoPE (Architecture::qk_norm)

 private:
  std::int64_t n_heads_, n_kv_heads_, head_dim_;
  double scale_;  // ModelConfig::attention_scale
  FusedProjection qkv_;
};
TORCH_MODULE(LlamaAttention);

// Gated feed-forward (Shazeer 2020, arXiv 2002.05202, eq. 6): down(act(gate x) * up x), with
// act SiLU (SwiGLU) or tanh-approximated GELU (GeGLU, Gemma).
class LlamaMlpImpl : public torch::nn::Module {
 public:
  explicit LlamaMlpImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, Precision precision);  // (B,T,C) -> (B,T,C)
  void reset_fused() { gate_up_.reset(); }
  // The projections whose outputs, concatenated, are gate|up.
  std::vector<ProjectionImpl*> gate_up_parts() const;
  Projection gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
  Projection gate_up_proj{nullptr};  // Architecture::fused_projections: gate|up in one

 private:
  FusedProjection gate_up_;
  std::int64_t intermediate_;
  Activation activation_;
};
TORCH_MODULE(LlamaMlp);

// Pre-norm (Llama): h += attn(input_layernorm(h)); h += mlp(post_attention_layernorm(h)).
// Sandwich (Gemma): h += post_attention_layernorm(attn(input_layernorm(h)));
//                   h += post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h))).
class LlamaDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit LlamaDecoderLayerImpl(const ModelConfig& config);
  LlamaAttention self_attn{nullptr};
  LlamaMlp mlp{nullptr};
  RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  RmsNorm pre_feedforward_layernorm{nullptr}, post_feedforward_layernorm{nullptr};  // sandwich
  // By role, whatever the placement: null where it has none.
  RmsNormImpl* attention_output_norm() {
    return sandwich() ? post_attention_layernorm.get() : nullptr;
  }
  RmsNormImpl* mlp_input_norm() {
    return sandwich() ? pre_feedforward_layernorm.get() : post_attention_layernorm.get();
  }
  RmsNormImpl* mlp_output_norm() { return sandwich() ? post_feedforward_layernorm.get() : nullptr; }
  bool sandwich() const { return !pre_feedforward_layernorm.is_empty(); }
};
TORCH_MODULE(LlamaDecoderLayer);

// The backbone ("model."): embeddings, decoder layers, final norm. It owns the forward
// loop, so every head (the language-model head, a reward or classifier score head) reads
// the same hidden states.
class LlamaBackboneImpl : public torch::nn::Module {
 public:
  explicit LlamaBackboneImpl(const ModelConfig& config);
  // ids (B, T) -> final hidden states (B, T, C) after norm; advances options.cache.
  torch::Tensor forward(const torch::Tensor& ids, const ForwardOptions& options,
                        Precision precision);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RmsNorm norm{nullptr};
  // Layer `layer`'s table: the global one, or the sliding layers' own (Gemma 3).
  RotaryTable& rotary(std::int64_t layer = 0);
  // What embeddings are multiplied by (sqrt(hidden_size) for Gemma, else 1), in fp32.
  float embedding_scale() const { return embedding_scale_; }
  const ModelConfig& config() const { return config_; }
  // Training forwards (gradients recorded, no cache) keep each decoder layer's input only
  // and recompute the layer in the backward pass (model/activation_checkpoint.h).
  void set_activation_checkpointing(bool on) { checkpoint_layers_ = on; }
  bool activation_checkpointing() const { return checkpoint_layers_; }

 private:
  torch::Tensor decoder_layer(std::int64_t index, const torch::Tensor& h,
                              const torch::Tensor& positions, std::int64_t max_position,
                              std::int64_t contiguous_start, const torch::Tensor& mask,
                              const ForwardOptions& options, Precision precision);
  ModelConfig config_;
  RotaryTable rope_, rope_local_;
  float embedding_scale_ = 1.0f;
  bool checkpoint_layers_ = false;
};
TORCH_MODULE(LlamaBackbone);

class LlamaForCausalLMImpl : public torch::nn::Module {
 public:
  explicit LlamaForCausalLMImpl(const ModelConfig& config);

  // ids (B, T) int64 -> logits (B, T, V) float32 (or (B, 1, V) with last_position_only).
  torch::Tensor forward(const torch::Tensor& ids, const ForwardOptions& options = {});
  // ids (B, T) -> final hidden states (B, T, C) after model.norm.
  torch::Tensor hidden_states(const torch::Tensor& ids, const ForwardOptions& options = {});
  // hidden (B, T, C) -> logits (B, T, V) float32 through lm_head or the tied embedding.
  torch::Tensor logits_from_hidden(const torch::Tensor& hidden);

  // HF-style initialization: normal(0, initializer_range) for projections and embeddings,
  // zero biases, unit norms.
  void initialize(std::uint64_t seed);
  // Drops cached bf16 weight copies; call after changing weights without autograd.
  void invalidate_precision_cache();
  void clear_tied_head_cache() { tied_head_bf16_ = torch::Tensor(); }

  void set_precision(Precision precision) { precision_ = precision; }
  // The weights decoding reads (model/decode_engine.h): by default f32 or bf16 after the
  // precision; q8_0 on request (`--weights q8_0`).
  void set_decode_weights(std::optional<WeightType> type) { decode_weights_ = type; }
  WeightType decode_weights() const;
  // The engine for the current weights, packed on first use and after any invalidation.
  DecodeEngine& decode_engine();
  void clear_decode_engine() {
    if (!decode_only_) engine_.reset();
  }
  // Packs the decode engine, then frees the fp32 parameters: a q8_0 model then holds about
  // a quarter of the f32 bytes. Afterwards every forward pass runs on the engine (prompts
  // included); training, masks and explicit positions are refused.
  void keep_only_decode_weights();
  bool decode_only() const { return decode_only_; }
  // `--weights`: decode with `type`; bf16 and q8_0 keep only their packed copy.
  void decode_with(WeightType type) {
    set_decode_weights(type);
    if (type != WeightType::kF32) keep_only_decode_weights();
  }
  // Where the parameters are (model/compute_device.h); model->to(device) moves them.
  torch::Device device() const;
  // Whether decoding steps run on the decode engine: on the CPU unless turned off. Off,
  // they run through LibTorch as they do on a GPU (tests compare the two on the CPU).
  bool decodes_on_engine() const;
  void set_engine_decoding(bool on) { engine_decoding_ = on; }
  // The type of the KV caches decoding makes for this model (`--kv-cache`): fp32, exact
  // against the LibTorch path, or fp16, half the bytes per token (llama.cpp's default).
  void set_kv_cache_type(torch::ScalarType type) { kv_cache_type_ = type; }
  torch::ScalarType kv_cache_type() const { return kv_cache_type_; }
  Precision precision() const { return precision_; }
  const ModelConfig& config() const { return config_; }

  LlamaBackbone model{nullptr};
  Projection lm_head{nullptr};  // null when embeddings are tied

 private:
  ModelConfig config_;
  Precision precision_ = Precision::kFP32;
  torch::Tensor head_product(const torch::Tensor& hidden);  // in the compute dtype
  torch::Tensor tied_head_bf16_;  // inference copy of the tied embedding for bf16
  std::optional<WeightType> decode_weights_;
  std::shared_ptr<DecodeEngine> engine_;
  bool decode_only_ = false;
  bool engine_decoding_ = true;
  torch::ScalarType kv_cache_type_ = torch::kFloat32;
  torch::Tensor engine_forward(const torch::Tensor& ids, const ForwardOptions& options);
  bool takes_engine_path(const torch::Tensor& ids, const ForwardOptions& options) const;
};
TORCH_MODULE(LlamaForCausalLM);

// Drops every cached bf16 weight copy and fused projection under `root` (any model: a
// causal LM, a score model); call after changing weights without autograd.
// Turns activation checkpointing on or off in every backbone under `root` (a causal LM, a
// score model).
void set_activation_checkpointing(torch::nn::Module& root, bool on);

void invalidate_precision_caches(torch::nn::Module& root);

// A copy of `model` with `vocab_size` rows of embeddings (and lm_head): existing rows are
// kept, new rows start at the mean of the old ones (so new tokens start out neutral).
LlamaForCausalLM resize_token_embeddings(LlamaForCausalLM& model, std::int64_t vocab_size);

}  // namespace chosei
