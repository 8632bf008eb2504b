#pragma once
// config.json fields to ModelConfig and back, per the family's traits: the common shape
// fields, the activation, biases, RoPE (both spellings), sliding windows and which layers
// use them, Gemma's attention scalars. model_config.h is the interface; this is its reader.

#include <nlohmann/json.hpp>
#include <string>

#include "model/model_config.h"

namespace chosei {

// std::invalid_argument "SOURCE: field "FIELD": WHAT", for every config.json complaint.
[[noreturn]] void config_field_error(const std::string& source, const std::string& field,
                                     const std::string& what);

// Fills `c` from `j` (model_type already set); throws std::invalid_argument naming `source`
// and the field for anything wrong or unsupported.
void read_config_fields(const nlohmann::json& j, ModelConfig& c, const std::string& source);

// Writes RoPE, windows and layer types as transformers writes them today, dropping the old
// spellings (rope_theta, rope_scaling, rope_local_base_freq, sliding_window_pattern).
void write_attention_layout(const ModelConfig& c, nlohmann::json& j);

}  // namespace chosei
