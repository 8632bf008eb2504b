#pragma once
// LlamaForSequenceClassification: the Llama backbone with a score head, as Hugging Face
// transformers names it ("model.*" and "score.weight" [num_labels, hidden], no bias). With
// one label it is a reward model; with several, a classifier. The score is read at one
// position per sequence, the last real token, given explicitly (never derived from
// pad == eos, the HF pitfall transformers#35352).
//
//   LlamaForSequenceClassification rm(config, 1);
//   auto hidden = rm->hidden_states(ids, {.positions = ..., .attention_mask = ...});
//   auto r = rm->score_at(hidden, rows, cols);      // (N, num_labels) float32

#include <torch/torch.h>

#include "model/llama_model.h"

namespace chosei {

class LlamaForSequenceClassificationImpl : public torch::nn::Module {
 public:
  LlamaForSequenceClassificationImpl(const ModelConfig& config, std::int64_t num_labels);
  // Shares `backbone` (a causal LM's "model." module: its lm_head is not kept). The score
  // head starts at N(0, std = 1/(hidden+1)), OpenRLHF's value-head initialization.
  LlamaForSequenceClassificationImpl(LlamaBackbone backbone, const ModelConfig& config,
                                     std::int64_t num_labels, std::uint64_t seed);

  // ids (B, T) -> final hidden states (B, T, C).
  torch::Tensor hidden_states(const torch::Tensor& ids, const ForwardOptions& options = {});
  // The scores at (rows[i], cols[i]) of `hidden`: (N, num_labels) float32.
  torch::Tensor score_at(const torch::Tensor& hidden, const torch::Tensor& rows,
                         const torch::Tensor& cols);
  // Right- or left-padded rows with a (B, T) 0/1 attention mask: positions from the mask
  // (cumsum - 1, so left padding works), pads masked out, scores at each row's last real
  // token. (B, num_labels).
  torch::Tensor forward_padded(const torch::Tensor& ids, const torch::Tensor& attention_mask);

  void initialize_score(std::uint64_t seed);
  void invalidate_precision_cache();
  void set_precision(Precision precision) { precision_ = precision; }
  Precision precision() const { return precision_; }
  const ModelConfig& config() const { return config_; }
  std::int64_t num_labels() const { return num_labels_; }

  LlamaBackbone model{nullptr};
  Projection score{nullptr};

 private:
  ModelConfig config_;
  std::int64_t num_labels_;
  Precision precision_ = Precision::kFP32;
};
TORCH_MODULE(LlamaForSequenceClassification);

// The index of each row's last position where `attention_mask` (B, T) is nonzero: (B)
// int64. A row without any real token is an error.
torch::Tensor last_token_index(const torch::Tensor& attention_mask);

}  // namespace chosei
