#pragma once
// Building blocks of the Llama-family decoder, each named as in Hugging Face transformers
// so that named_parameters() equals the checkpoint's tensor names.
//
// Shapes: B batch, T time, C hidden size, NH attention heads, NKV key/value heads,
// HD head dimension, I intermediate size, V vocabulary.

#include <torch/torch.h>

#include "base/precision.h"
#include "model/rope_parameters.h"

namespace chosei {

// y = x W^T (+ b) with `weight`/`bias` already in the compute dtype of `precision`;
// single-row inputs without autograd take the matrix-vector kernels of matvec.h.
torch::Tensor project(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias, Precision precision);

// A linear projection y = x W^T (+ b) with parameters "weight" (OC, C) and optional "bias".
// Under bf16 precision the product runs in bfloat16 from a cached bf16 copy of the weight
// when gradients are off (inference), or from a fresh cast when training.
class ProjectionImpl : public torch::nn::Module {
 public:
  ProjectionImpl(std::int64_t in_features, std::int64_t out_features, bool bias);
  // x (..., C) float32 -> (..., OC) float32
  torch::Tensor forward(const torch::Tensor& x, Precision precision);
  // Drops the bf16 copy; call after the fp32 weight changed outside autograd.
  void invalidate_cache() { weight_bf16_ = torch::Tensor(); }

  // LoRA (Hu et al. 2021, arXiv 2106.09685, eq. 3): y = W x + (alpha / r) * B A dropout(x),
  // with A (r, C) "lora_A.weight" and B (OC, r) "lora_B.weight" registered as submodules so
  // their names follow PEFT's. A starts Kaiming-uniform, B at zero: the adapted model
  // starts equal to the base.
  void add_lora(std::int64_t r, double alpha, double dropout);
  bool has_lora() const { return lora_A_.defined(); }
  // Off: the projection computes the base alone (a LoRA policy's reference model).
  void set_lora_enabled(bool enabled) { lora_enabled_ = enabled; }
  bool lora_active() const { return has_lora() && lora_enabled_; }
  // W += (alpha / r) * B A, then the adapter is removed.
  void merge_lora();
  torch::Tensor& lora_A() { return lora_A_; }
  torch::Tensor& lora_B() { return lora_B_; }
  double lora_scale() const { return lora_scale_; }

  torch::Tensor weight, bias;

 private:
  torch::Tensor weight_bf16_, bias_bf16_;
  torch::Tensor lora_A_, lora_B_;
  double lora_scale_ = 0, lora_dropout_ = 0;
  bool lora_enabled_ = true;
};
TORCH_MODULE(Projection);

// Several projections of the same input computed as one matrix product (q|k|v, gate|up):
// fewer, larger kernels for inference. The concatenated weight is built lazily in the
// compute dtype and reused while gradients are off; with gradients on, the parts run
// separately so autograd sees the real parameters.
class FusedProjection {
 public:
  // x (..., C) -> (..., sum of OC) float32
  torch::Tensor forward(const torch::Tensor& x, const std::vector<ProjectionImpl*>& parts,
                        Precision precision);
  void reset() { weight_ = bias_ = torch::Tensor(); }

 private:
  static torch::Tensor project_concatenated(const torch::Tensor& x,
                                            const std::vector<ProjectionImpl*>& parts,
                                            Precision precision);
  torch::Tensor weight_, bias_;
  Precision built_for_ = Precision::kFP32;
};

// RMSNorm (Zhang & Sennrich 2019, arXiv 1910.07467, eq. 4): x / sqrt(mean(x^2) + eps) * g,
// computed in fp32 as HF LlamaRMSNorm does; with `offset_one` the gain is (1 + w) and w
// starts at 0, as Gemma's RMSNorm.
class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(std::int64_t dim, double eps, bool offset_one = false);
  torch::Tensor forward(const torch::Tensor& x);  // (..., C) -> (..., C)
  bool offset_one() const { return offset_one_; }
  torch::Tensor weight;

 private:
  double eps_;
  bool offset_one_;
};
TORCH_MODULE(RmsNorm);

// Rotary position embedding tables (Su et al. 2021, arXiv 2104.09864, eq. 34) in the HF
// rotate_half layout: the first RD/2 rotated channels pair with the next RD/2, where RD is
// the head dimension or its rotated share (partial rotary: the rest pass unchanged). The
// frequencies and the factor on cos and sin follow the RoPE parameters
// (model/rope_frequencies.h); dynamic and longrope choose them by the sequence length.
struct RotaryTables {
  torch::Tensor inv_freq;  // (RD/2,) fp32
  double attention_factor = 1.0;
  // (positions, RD) fp32 on the CPU: cos, and sin with rotate_half's sign ([-sin, sin]).
  torch::Tensor cos, sin;
  std::int64_t positions = 0;
  torch::Tensor device_cos, device_sin;  // a GPU model's copies
  void grow(std::int64_t positions);
};

class RotaryTable {
 public:
  RotaryTable(std::int64_t head_dim, std::int64_t max_positions, const RopeParameters& rope);
  // x (B, T, H, HD), positions (B, T) int64 with values < max_position -> rotated x. The
  // frequencies are those of a sequence of max_position positions (transformers' seq_len).
  // contiguous_start >= 0 says positions are contiguous_start + [0, T) in every row.
  torch::Tensor apply(const torch::Tensor& x, const torch::Tensor& positions,
                      std::int64_t max_position, std::int64_t contiguous_start = -1);
  // The tables of a forward pass over `sequence_length` positions, covering them. The
  // reference stays valid until the next call with another length.
  const RotaryTables& tables(std::int64_t sequence_length);
  // Whether tables() depends on the length (dynamic, longrope).
  bool length_dependent() const { return rope_.length_dependent(); }
  std::int64_t rotary_dim() const { return rotary_dim_; }

 private:
  // The table set for a length and its cos/sin on `device`.
  RotaryTables& select(std::int64_t sequence_length);
  static std::pair<torch::Tensor, torch::Tensor> on_device(RotaryTables& t,
                                                           const torch::Device& device);
  RopeParameters rope_;
  std::int64_t head_dim_, rotary_dim_, max_position_embeddings_;
  RotaryTables base_;     // every length, or lengths within the original context
  RotaryTables long_;     // longrope beyond original_max_position_embeddings
  RotaryTables dynamic_;  // dynamic NTK beyond max_position_embeddings, for dynamic_length_
  std::int64_t dynamic_length_ = 0;
};

}  // namespace chosei
