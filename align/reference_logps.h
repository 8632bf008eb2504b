#pragma once
// The reference model's log-probabilities of every chosen and rejected answer, computed once
// before training in batched no-grad passes and cached, so training holds one model in
// memory and the policy can never serve as its own reference (trl#1962, #6443). The cache
// file is keyed by the SHA-256 of the reference's weights (as loaded, grown chat-token
// embeddings included), of the tokenized data, and of the precision and temperature: a
// change to any of them recomputes; the same data and reference reuse it, on resume and in
// later runs that point `reference_cache` at the same folder.

#include <functional>
#include <string>
#include <vector>

#include "datasets/preference_example.h"
#include "model/llama_model.h"

namespace chosei {

struct ReferenceLogps {
  std::vector<double> chosen, rejected;  // summed answer log-probs, one per example
};

struct ReferenceBatching {
  std::size_t pairs_per_batch = 8, capacity = 512;
  bool pack = true;
  TokenId pad_id = 0;
  double temperature = 1.0;
};

ReferenceLogps compute_reference_logps(LlamaForCausalLM& reference,
                                       const std::vector<PreferenceExample>& examples,
                                       const ReferenceBatching& batching);

// SHA-256 over every parameter's name, shape and fp32 bytes, in name order.
std::string weights_sha256(LlamaForCausalLM& model);
// The cache key of `examples` scored by weights `weights_sha`.
std::string reference_cache_key(const std::string& weights_sha,
                                const std::vector<PreferenceExample>& examples,
                                const std::string& precision, double temperature);

// Loads `folder`/<key>.json when present (a file of the wrong size is an error naming it);
// otherwise `compute` runs and, when `save` (one writer among data-parallel processes), its
// result is written atomically.
ReferenceLogps cached_reference_logps(const std::string& folder, const std::string& key,
                                      std::size_t examples,
                                      const std::function<ReferenceLogps()>& compute,
                                      bool* reused = nullptr, bool save = true);

}  // namespace chosei
