#pragma once
// The architecture registry: every model family chosei runs is one entry, written once in
// its own file under model/architectures/, and read everywhere a model is built, run,
// imported or exported. An entry holds the Hugging Face names (config.json model_type,
// class names), the GGUF architecture name and how its tensors are named and laid out, and
// the traits of the decoder block. Nothing outside the registry names a family.

#include <string>
#include <vector>

namespace chosei {

enum class Activation { kSilu, kGeluTanh };

// Where a block's RMSNorms sit. kPreNorm (Llama): input_layernorm before attention,
// post_attention_layernorm before the MLP. kSandwich (Gemma 2/3): input_layernorm and
// post_attention_layernorm around attention, pre_feedforward_layernorm and
// post_feedforward_layernorm around the MLP.
enum class NormPlacement { kPreNorm, kSandwich };

// How the config.json says which layers attend through a sliding window.
enum class WindowSource {
  kNone,            // no window (Llama): a "sliding_window" field is refused
  kAllLayers,       // Mistral: every layer when "sliding_window" is set
  kUseSlidingFlag,  // Qwen2/3: "use_sliding_window", layers from "max_window_layers" on
  kLayerPattern,    // Gemma 3: "layer_types" or every "sliding_window_pattern"-th layer global
};

struct Architecture {
  std::string model_type;        // config.json "model_type"
  std::string causal_lm_class;   // "LlamaForCausalLM"
  std::string classifier_class;  // "LlamaForSequenceClassification"
  std::string gguf_name;         // GGUF general.architecture
  // llama.cpp's "llama" rotates interleaved pairs (RoPE "normal" mode): its converter
  // permutes q and k rows. NEOX-mode architectures keep HF's rotate_half halves.
  bool gguf_interleaved_rope = false;
  // Every norm weight is stored +1 in GGUF (llama.cpp's converter adds Gemma's offset).
  bool gguf_norms_plus_one = false;
  // What llama.cpp fixes for the family instead of reading it from the file: every Nth
  // layer global among sliding ones (0: the window, if any, on every layer), every Nth layer
  // without RoPE, the sliding layers' RoPE base (0: the global one).
  std::int64_t gguf_global_every = 0;
  std::int64_t gguf_nope_every = 0;
  double gguf_local_rope_theta = 0;

  bool attention_bias = false;        // q/k/v biases when the config says nothing
  bool attention_bias_fixed = false;  // the config cannot turn them off (Qwen2)
  bool output_bias = false;           // attention_bias gives o_proj a bias too (Llama, Gemma)
  bool qk_norm = false;               // RMSNorm over each head's q and k before RoPE
  bool norm_offset_one = false;       // norms scale by (1 + w), weights start at 0 (Gemma)
  NormPlacement norms = NormPlacement::kPreNorm;
  Activation activation = Activation::kSilu;
  std::string activation_field = "hidden_act";  // Gemma: "hidden_activation"
  bool embedding_scale = false;                 // embeddings times sqrt(hidden_size) (Gemma)
  WindowSource windows = WindowSource::kNone;
  bool local_rope = false;               // sliding layers have their own RoPE (Gemma 3)
  bool nope_layers = false;              // some layers use no RoPE ("no_rope_layers", SmolLM3)
  bool query_pre_attn_scalar = false;    // scores scaled by query_pre_attn_scalar^-1/2 (Gemma)
  bool final_logit_softcapping = false;  // logits = cap * tanh(logits / cap) when set
  // q|k|v and gate|up are each one projection (self_attn.qkv_proj, mlp.gate_up_proj): in
  // the checkpoint, in LoRA targets and in GGUF (Phi-3).
  bool fused_projections = false;
  // The LoRA targets when a run names none (PEFT's defaults for the family).
  std::vector<std::string> lora_default_targets = {"q_proj", "v_proj"};
  // config.json fields this family reads beyond the common ones, and fields it accepts as
  // bookkeeping; any other field known to change the math is refused by name.
  std::vector<std::string> extra_fields;
};

// Every family, in registry order.
const std::vector<const Architecture*>& architectures();
// Throw std::invalid_argument listing the supported names.
const Architecture& architecture_for_model_type(const std::string& model_type);
const Architecture& architecture_for_gguf(const std::string& gguf_name);

}  // namespace chosei
