#pragma once
// DecodeEngine: the inference forward pass of a LlamaForCausalLM without LibTorch's per-op
// overhead, for decoding: hand-written kernels over raw buffers (model/weight_matrix.h),
// weights in f32, bf16 or q8_0.
//
// A call runs a list of inputs, each a token of some cache row at some position: one token
// per row (batched decoding), a whole prompt on one row (prefill), several prompts at once
// (requests joining a batch), or any mix. Row r keeps position p in column p of the cache
// (KvCache layout (rows, NKV, capacity, HD)), so rows of different lengths share one cache
// without masks, and an input attends to columns [0, position] of its own row. Keys and
// values of every input are written before any attends, so a prompt is causal by itself.
//
// The cache holds fp32 or fp16 entries (KvCache::dtype()); either way attention computes in
// fp32 (fp16 keys and values widened as they are read).
//
// Not thread-safe: one forward at a time.

#include <torch/torch.h>

#include <vector>

#include "model/architecture.h"
#include "model/kv_cache.h"
#include "model/weight_matrix.h"

namespace chosei {

class LlamaForCausalLMImpl;
class ProjectionImpl;

struct DecodeInput {
  std::int64_t token;
  std::int64_t row;
  std::int64_t position;
  bool logits;  // return this input's next-token logits
};

class DecodeEngine {
 public:
  // Packs the model's weights (LoRA adapters merged into the packed copy, the module left
  // as it is). f32 refers to the model's parameters: keep the model alive.
  DecodeEngine(LlamaForCausalLMImpl& model, WeightType type);

  // Returns (inputs with logits, V) fp32 in input order. Inputs of one row come in
  // position order; positions must lie below the cache's capacity.
  torch::Tensor forward(const std::vector<DecodeInput>& inputs, KvCache& cache);

  WeightType weight_type() const { return type_; }
  // Whether it still computes what the model does: same weight type, and each projection's
  // LoRA adapter on or off as when it was packed.
  bool matches(WeightType type) const;
  // Bytes of weights read per decoded token: every layer and the head (a lookup reads one
  // embedding row).
  std::int64_t weight_bytes() const;
  // Copies whatever it still reads from the model's parameters (f32 matrices, norms), so
  // that the model can free them (LlamaForCausalLMImpl::keep_only_decode_weights).
  void own_weights();

 private:
  // A norm's gain as it multiplies: w, or (1 + w) for Gemma's norms.
  struct Layer {
    WeightMatrix qkv, o, gate_up, down;
    std::vector<float> qkv_bias;  // empty without attention bias
    std::vector<float> o_bias;    // empty without an output bias
    std::vector<float> input_norm, mlp_norm;
    std::vector<float> q_norm, k_norm;                     // empty without q/k norms
    std::vector<float> attn_output_norm, mlp_output_norm;  // empty unless sandwich norms
    std::int64_t window = 0;                               // sliding window; 0: none
    bool rope = true;                                      // false: a NoPE layer
  };
  void attention(const std::vector<DecodeInput>& inputs, KvCache& cache, std::int64_t layer,
                 const float* qkv, float* out);
  template <typename Entry>  // float or fp16 bits (the cache's type)
  void attention_over(const std::vector<DecodeInput>& inputs, const KvCache& cache,
                      const Entry* keys, const Entry* values, std::int64_t window, const float* qkv,
                      float* out) const;
  void store_keys_and_values(const std::vector<DecodeInput>& inputs, KvCache& cache,
                             std::int64_t layer);
  void rotate(const std::vector<DecodeInput>& inputs, std::int64_t layer, float* qkv);
  void normalize_heads(const Layer& layer, std::int64_t n, float* qkv) const;
  void gated_activation(std::int64_t n);
  void add_residual(const std::vector<float>& output_norm, float* out, float* h) const;
  void embed(const std::vector<DecodeInput>& inputs, float* h) const;
  WeightMatrix stacked(const std::vector<ProjectionImpl*>& parts, WeightType type);

  LlamaForCausalLMImpl& model_;
  WeightType type_;
  std::int64_t C_, NH_, NKV_, HD_, I_, V_;
  double eps_;
  double scale_;           // on q.k (ModelConfig::attention_scale)
  float embedding_scale_;  // on looked-up embeddings
  double softcap_;         // final logit soft-capping; 0: none
  Activation activation_;
  std::vector<Layer> layers_;
  WeightMatrix head_;   // lm_head, or the tied embedding
  WeightMatrix embed_;  // the embedding rows looked up, unless lookup_ reads head_
  const WeightMatrix* lookup_ = nullptr;
  std::vector<float> final_norm_;
  // Scratch reused between calls (no allocation per decoded token).
  std::vector<float> h_, xn_, qkv_, att_, gu_, act_, tmp_;
  std::vector<torch::Tensor> held_;  // merged LoRA weights the f32 matrices point into
  // Each packed projection and whether its LoRA adapter was on (matches()).
  std::vector<std::pair<ProjectionImpl*, bool>> lora_state_;
};

}  // namespace chosei
