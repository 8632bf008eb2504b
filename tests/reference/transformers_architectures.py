"""transformers itself as the reference forward of every architecture chosei runs.

  transformers_architectures.py OUT_DIR

For each case below: a random-weight model made by transformers (`from_config`, then every
parameter drawn again so that biases and norm gains matter), saved with `save_pretrained`
into OUT_DIR/NAME, and OUT_DIR/NAME/reference.safetensors holding
  ids        (1, T) int64    a random sequence longer than any sliding window
  logprobs   (1, T, V) fp32  log_softmax of transformers' logits for ids, in fp32
  stepwise   (1, T, V) fp32  the same, decoding ids one token at a time through transformers'
                             KV cache (where RoPE depends on the length, dynamic and longrope,
                             cached keys keep the frequencies they were rotated with)
  greedy     (1, P + N) int64 transformers' greedy continuation of ids[:, :P]
  loss       ()   fp32       mean next-token cross-entropy over ids
  grad.NAME  the loss's gradient for a few parameters
and a PEFT LoRA adapter on every projection (random A and B, so that it changes the model)
saved in OUT_DIR/NAME/adapter, with `lora_loss` and `lora_grad.NAME` (the adapter's
gradients, PEFT's names without ".default") in OUT_DIR/NAME/adapter/reference.safetensors.
The same backbone under transformers' sequence-classification class (a reward model's and a
classifier's head, `score`, 3 labels) is saved in OUT_DIR/NAME/score with its `scores` (the
logits at the last token of ids) in OUT_DIR/NAME/score/reference.safetensors.
Run with the reference environment's Python (scripts/setup).
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForCausalLM

COMMON = dict(vocab_size=89, hidden_size=64, intermediate_size=96, num_hidden_layers=4,
              num_attention_heads=4, num_key_value_heads=2, head_dim=16,
              max_position_embeddings=128, rms_norm_eps=1e-5, tie_word_embeddings=False,
              bos_token_id=1, eos_token_id=2, pad_token_id=0)

CASES = {
    "llama": ("llama", dict(attention_bias=True, rope_theta=10000.0)),
    "llama_rope_llama3": ("llama", dict(rope_scaling=dict(
        rope_type="llama3", factor=4.0, low_freq_factor=1.0, high_freq_factor=4.0,
        original_max_position_embeddings=32), rope_theta=500000.0, tie_word_embeddings=True)),
    "llama_rope_linear": ("llama", dict(rope_scaling=dict(rope_type="linear", factor=2.0))),
    "llama_rope_yarn": ("llama", dict(rope_scaling=dict(
        rope_type="yarn", factor=4.0, original_max_position_embeddings=32), rope_theta=10000.0)),
    "mistral_window": ("mistral", dict(sliding_window=8, rope_theta=10000.0)),
    "qwen2": ("qwen2", dict(rope_theta=1000000.0)),
    "qwen2_window": ("qwen2", dict(use_sliding_window=True, sliding_window=8,
                                   max_window_layers=2, rope_theta=1000000.0)),
    "qwen3": ("qwen3", dict(rope_theta=1000000.0, tie_word_embeddings=True)),
    "gemma3_text": ("gemma3_text", dict(
        hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=24, sliding_window=8,
        layer_types=["sliding_attention", "sliding_attention", "full_attention",
                     "sliding_attention"],
        rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
                         "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}},
        final_logit_softcapping=30.0, tie_word_embeddings=True)),
    "smollm3_nope": ("smollm3", dict(rope_theta=100000.0, no_rope_layer_interval=2,
                                     tie_word_embeddings=True)),
    # Past max_position_embeddings (24) the base grows with the sequence: the full forward
    # (40 positions), the cached decoding and the greedy continuation all cross it.
    "llama_rope_dynamic": ("llama", dict(rope_scaling=dict(rope_type="dynamic", factor=2.0),
                                         max_position_embeddings=24)),
    # Phi-3.5 / Phi-4-mini: fused qkv_proj and gate_up_proj, 3/4 of each head rotated,
    # LongRoPE's short factors within 24 positions and long ones beyond, every layer windowed.
    "phi3_longrope": ("phi3", dict(
        head_dim=None, max_position_embeddings=64, original_max_position_embeddings=24,
        partial_rotary_factor=0.75, sliding_window=20, rope_theta=10000.0,
        rope_scaling=dict(type="longrope", short_factor=[1.0 + 0.15 * i for i in range(6)],
                          long_factor=[1.5 + 0.4 * i for i in range(6)]))),
    "phi3": ("phi3", dict(head_dim=None, rope_theta=10000.0, tie_word_embeddings=True)),
}

T, PROMPT, NEW = 40, 12, 16
GRADIENTS = ["model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight",
             "model.norm.weight", "model.embed_tokens.weight",
             "model.layers.0.self_attn.qkv_proj.weight", "model.layers.1.mlp.gate_up_proj.weight"]


def build(name, model_type, extra):
    kwargs = dict(COMMON)
    kwargs.update(extra)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    config = AutoConfig.for_model(model_type, **kwargs)
    config._attn_implementation = "eager"
    torch.manual_seed(sum(map(ord, name)))
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname:
                p.copy_(torch.empty_like(p).uniform_(-0.5, 0.5) + (0.0 if "gemma" in model_type else 1.0))
            elif "bias" in pname:
                p.normal_(0, 0.5)
            else:
                p.normal_(0, 0.15)
    return model


def stepwise_logprobs(model, ids):
    from transformers import DynamicCache
    cache = DynamicCache(config=model.config)
    steps = []
    for t in range(ids.shape[1]):
        out = model(ids[:, t:t + 1], past_key_values=cache, use_cache=True,
                    position_ids=torch.tensor([[t]]))
        cache = out.past_key_values
        steps.append(out.logits.float())
    return torch.log_softmax(torch.cat(steps, 1), -1)


def reference(model, name):
    torch.manual_seed(7 + len(name))
    ids = torch.randint(3, model.config.vocab_size, (1, T))
    model.eval()
    out = {"ids": ids}
    with torch.no_grad():
        out["logprobs"] = torch.log_softmax(model(ids).logits.float(), -1)
        out["stepwise"] = stepwise_logprobs(model, ids)
        # LongRoPE: transformers' Phi-3 generation means to recompute the cache when the
        # sequence outgrows the original context, but in 5.17 it drops the cache and feeds
        # the last token alone (Phi3ForCausalLM.prepare_inputs_for_generation with the
        # cache_position slicing of GenerationMixin). What it means to compute is every step's
        # full forward over the sequence so far: generation without a cache.
        longrope = (model.config.rope_parameters or {}).get("rope_type") == "longrope"
        out["greedy"] = model.generate(ids[:, :PROMPT], max_new_tokens=NEW, do_sample=False,
                                       min_new_tokens=NEW, pad_token_id=0,
                                       use_cache=not longrope)
    model.train()
    loss = model(ids, labels=ids).loss
    loss.backward()
    out["loss"] = loss.detach().reshape(())
    params = dict(model.named_parameters())
    for g in GRADIENTS:
        if g in params:
            out["grad." + g] = params[g].grad.detach().clone()
    return {k: v.contiguous() for k, v in out.items()}


LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
                "qkv_proj", "gate_up_proj"]
LORA_GRADIENTS = ["model.layers.0.self_attn.q_proj.lora_A.weight",
                  "model.layers.1.mlp.down_proj.lora_B.weight",
                  "model.layers.0.self_attn.v_proj.lora_B.weight",
                  "model.layers.0.self_attn.qkv_proj.lora_A.weight",
                  "model.layers.1.mlp.gate_up_proj.lora_B.weight"]


def lora_reference(model, ids, target):
    from peft import LoraConfig, get_peft_model
    model.zero_grad()
    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [t for t in LORA_TARGETS if t in present]
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0,
                                                  target_modules=targets))
    torch.manual_seed(11)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_" in name:
                p.normal_(0, 0.1)
    peft_model.train()
    loss = peft_model(input_ids=ids, labels=ids).loss
    loss.backward()
    out = {"lora_loss": loss.detach().reshape(())}
    params = {n.replace("base_model.model.", "").replace(".default", ""): p
              for n, p in peft_model.named_parameters()}
    for g in LORA_GRADIENTS:
        if g in params:
            out["lora_grad." + g] = params[g].grad.detach().clone().contiguous()
    peft_model.save_pretrained(target)
    config_path = os.path.join(target, "adapter_config.json")
    with open(config_path) as f:
        config = json.load(f)
    config["base_model_name_or_path"] = os.path.dirname(target)  # the model saved beside it
    with open(config_path, "w") as f:
        json.dump(config, f)
    save_file(out, os.path.join(target, "reference.safetensors"))


def score_reference(model, ids, target):
    from transformers import AutoModelForSequenceClassification
    config = model.config
    config.num_labels = 3
    torch.manual_seed(13)
    head = AutoModelForSequenceClassification.from_config(config, dtype=torch.float32)
    head.model.load_state_dict(model.model.state_dict())
    with torch.no_grad():
        head.score.weight.normal_(0, 0.3)
    head.eval()
    with torch.no_grad():  # pad_token_id 0 never occurs in ids: the score of the last token
        scores = head(ids).logits.float()
    head.save_pretrained(target)
    save_file({"scores": scores.contiguous()}, os.path.join(target, "reference.safetensors"))


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, (model_type, extra) in CASES.items():
        model = build(name, model_type, extra)
        target = os.path.join(out_dir, name)
        model.save_pretrained(target)
        ref = reference(model, name)
        save_file(ref, os.path.join(target, "reference.safetensors"))
        lora_reference(model, ref["ids"], os.path.join(target, "adapter"))
        score_reference(build(name, model_type, extra), ref["ids"], os.path.join(target, "score"))
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(sorted(CASES), f)


if __name__ == "__main__":
    main(sys.argv[1])
