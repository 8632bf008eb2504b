#pragma once
// RoPE parameters (Su et al. 2021, arXiv 2104.09864) and the scalings that stretch a model's
// context, as Hugging Face transformers defines them (modeling_rope_utils.py):
//   default  inv_freq_i = theta^(-2i/d)
//   linear   inv_freq / factor (position interpolation, Chen et al. 2023, arXiv 2306.15595)
//   llama3   Llama 3.1's band-wise interpolation (low/high frequency factors)
//   yarn     YaRN (Peng et al. 2023, arXiv 2309.00071, eqs. 18-20) with its attention factor
// Read from a config.json as transformers writes it today (`rope_parameters`) and as older
// checkpoints have it (`rope_theta` + `rope_scaling`); written the current way. A type or
// key that changes the math and is not implemented is refused by name.

#include <nlohmann/json.hpp>
#include <string>

namespace chosei {

struct RopeParameters {
  std::string type = "default";  // default | linear | llama3 | yarn
  double theta = 10000.0;
  double factor = 1.0;
  std::int64_t original_max_position_embeddings = 0;     // llama3, yarn
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  double beta_fast = 32.0, beta_slow = 1.0;              // yarn
  double attention_factor = 0.0;                         // yarn; 0: from factor (and mscales)
  double mscale = 0.0, mscale_all_dim = 0.0;             // yarn
  bool truncate = true;                                  // yarn
  double partial_rotary_factor = 1.0;                    // share of head channels rotated

  bool operator==(const RopeParameters& o) const;
};

// `node` is one rope_parameters object (or an old rope_scaling object, with `theta` given).
// Throws std::invalid_argument naming `source` and `field` for unknown types or keys.
RopeParameters parse_rope_parameters(const nlohmann::json& node, double theta,
                                     std::int64_t max_position_embeddings,
                                     const std::string& source, const std::string& field);
nlohmann::json rope_parameters_json(const RopeParameters& rope);

}  // namespace chosei
