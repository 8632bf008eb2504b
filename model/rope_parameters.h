#pragma once
// RoPE parameters (Su et al. 2021, arXiv 2104.09864) and the scalings that stretch a model's
// context, as Hugging Face transformers defines them (modeling_rope_utils.py):
//   default  inv_freq_i = theta^(-2i/d)
//   linear   inv_freq / factor (position interpolation, Chen et al. 2023, arXiv 2306.15595)
//   llama3   Llama 3.1's band-wise interpolation (low/high frequency factors)
//   yarn     YaRN (Peng et al. 2023, arXiv 2309.00071, eqs. 18-20) with its attention factor
//   dynamic  dynamic NTK: past max_position_embeddings the base grows with the sequence
//            (theta * (factor * L / max - (factor - 1))^(d / (d - 2)), bloc97 and emozilla 2023)
//   longrope LongRoPE (Ding et al. 2024, arXiv 2402.13753, eq. 3): per-frequency rescale
//            factors, the short ones within original_max_position_embeddings and the long
//            ones beyond, cos and sin scaled by sqrt(1 + ln(s) / ln(original)) (Phi-3)
// dynamic and longrope choose their frequencies by the length of the sequence a forward pass
// covers (its largest position + 1), as transformers' dynamic_rope_update does.
// partial_rotary_factor rotates the first int(head_dim * factor) channels of each head only.
// Read from a config.json as transformers writes it today (`rope_parameters`) and as older
// checkpoints have it (`rope_theta` + `rope_scaling`); written the current way. A type or
// key that changes the math and is not implemented is refused by name.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace chosei {

struct RopeParameters {
  std::string type = "default";  // default | linear | llama3 | yarn | dynamic | longrope
  double theta = 10000.0;
  double factor = 1.0;
  std::int64_t original_max_position_embeddings = 0;     // llama3, yarn, longrope
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  double beta_fast = 32.0, beta_slow = 1.0;              // yarn
  double attention_factor = 0.0;                  // yarn, longrope; 0: from factor (and mscales)
  std::vector<double> short_factor, long_factor;  // longrope, one per frequency
  double mscale = 0.0, mscale_all_dim = 0.0;      // yarn
  bool truncate = true;                           // yarn
  double partial_rotary_factor = 1.0;             // share of head channels rotated

  bool operator==(const RopeParameters& o) const;
  // Whether the frequencies depend on the sequence length (dynamic, longrope).
  bool length_dependent() const { return type == "dynamic" || type == "longrope"; }
  // Whether a cache holding `past` positions must be computed again before it grows to
  // `length`: LongRoPE's keys within the original context were rotated with the short
  // factors, and transformers' Phi-3 generation drops such a cache the first time the
  // sequence outgrows the original context (Phi3ForCausalLM.prepare_inputs_for_generation),
  // recomputing every key with the long ones.
  bool recompute_cache(std::int64_t past, std::int64_t length) const {
    return type == "longrope" && past > 0 && past <= original_max_position_embeddings &&
           length > original_max_position_embeddings;
  }
  // The channels of a head of `head_dim` that rotate: int(head_dim * partial_rotary_factor).
  std::int64_t rotary_dim(std::int64_t head_dim) const {
    return static_cast<std::int64_t>(static_cast<double>(head_dim) * partial_rotary_factor);
  }
};

// `node` is one rope_parameters object (or an old rope_scaling object, with `theta` given).
// Throws std::invalid_argument naming `source` and `field` for unknown types or keys.
RopeParameters parse_rope_parameters(const nlohmann::json& node, double theta,
                                     std::int64_t max_position_embeddings,
                                     const std::string& source, const std::string& field);
nlohmann::json rope_parameters_json(const RopeParameters& rope);

}  // namespace chosei
