#include "formats/gguf_tensor_names.h"

#include <regex>
#include <utility>
#include <vector>

namespace chosei {

namespace {

using Rules = std::vector<std::pair<std::regex, std::string>>;

const Rules& common_rules() {
  static const Rules rules = {
      {std::regex(R"(model\.embed_tokens\.weight)"), "token_embd.weight"},
      {std::regex(R"(model\.norm\.weight)"), "output_norm.weight"},
      {std::regex(R"(lm_head\.weight)"), "output.weight"},
      {std::regex(R"(model\.layers\.(\d+)\.input_layernorm\.weight)"), "blk.$1.attn_norm.weight"},
      {std::regex(R"(model\.layers\.(\d+)\.self_attn\.q_proj\.(weight|bias))"), "blk.$1.attn_q.$2"},
      {std::regex(R"(model\.layers\.(\d+)\.self_attn\.k_proj\.(weight|bias))"), "blk.$1.attn_k.$2"},
      {std::regex(R"(model\.layers\.(\d+)\.self_attn\.v_proj\.(weight|bias))"), "blk.$1.attn_v.$2"},
      {std::regex(R"(model\.layers\.(\d+)\.self_attn\.o_proj\.(weight|bias))"),
       "blk.$1.attn_output.$2"},
      {std::regex(R"(model\.layers\.(\d+)\.self_attn\.q_norm\.weight)"),
       "blk.$1.attn_q_norm.weight"},
      {std::regex(R"(model\.layers\.(\d+)\.self_attn\.k_norm\.weight)"),
       "blk.$1.attn_k_norm.weight"},
      {std::regex(R"(model\.layers\.(\d+)\.mlp\.gate_proj\.weight)"), "blk.$1.ffn_gate.weight"},
      {std::regex(R"(model\.layers\.(\d+)\.mlp\.up_proj\.weight)"), "blk.$1.ffn_up.weight"},
      {std::regex(R"(model\.layers\.(\d+)\.mlp\.down_proj\.weight)"), "blk.$1.ffn_down.weight"},
      // Fused projections (Phi-3): llama.cpp keeps them fused, gate|up as a wide ffn_up.
      {std::regex(R"(model\.layers\.(\d+)\.self_attn\.qkv_proj\.(weight|bias))"),
       "blk.$1.attn_qkv.$2"},
      {std::regex(R"(model\.layers\.(\d+)\.mlp\.gate_up_proj\.weight)"), "blk.$1.ffn_up.weight"},
  };
  return rules;
}

const Rules& pre_norm_rules() {
  static const Rules rules = {
      {std::regex(R"(model\.layers\.(\d+)\.post_attention_layernorm\.weight)"),
       "blk.$1.ffn_norm.weight"},
  };
  return rules;
}

const Rules& sandwich_rules() {
  static const Rules rules = {
      {std::regex(R"(model\.layers\.(\d+)\.post_attention_layernorm\.weight)"),
       "blk.$1.post_attention_norm.weight"},
      {std::regex(R"(model\.layers\.(\d+)\.pre_feedforward_layernorm\.weight)"),
       "blk.$1.ffn_norm.weight"},
      {std::regex(R"(model\.layers\.(\d+)\.post_feedforward_layernorm\.weight)"),
       "blk.$1.post_ffw_norm.weight"},
  };
  return rules;
}

}  // namespace

std::string gguf_tensor_name(const std::string& hf, const Architecture& arch) {
  const Rules& norms = arch.norms == NormPlacement::kSandwich ? sandwich_rules() : pre_norm_rules();
  for (const Rules* rules : {&common_rules(), &norms})
    for (const auto& [pattern, replacement] : *rules)
      if (std::regex_match(hf, pattern)) return std::regex_replace(hf, pattern, replacement);
  return "";
}

bool is_gguf_norm(const std::string& name) {
  static const std::regex norm(R"((blk\.\d+\.)?\w*norm\.weight)");
  return std::regex_match(name, norm);
}

}  // namespace chosei
