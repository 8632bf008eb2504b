#!/usr/bin/env python3
"""Peer for chosei's SFT step benchmark: the same training step in PyTorch Python (batched
Llama forward with HF semantics, cross-entropy on next tokens, backward, AdamW), on the same
model directory and batch shape.

usage: sft_step_peer.py MODEL_DIR SEQ BATCH STEPS fp32|bf16 THREADS [DEVICE]  -> "tokens_per_s <x>"
bf16 runs the products in bfloat16 over fp32 master weights (torch.autocast on the device).
DEVICE: cpu (the default) or cuda.
"""
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
from llama_reference import read_safetensors  # noqa: E402


def rms(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rot(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


def forward(cfg, W, ids):
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return torch.nn.functional.linear(hidden(cfg, W, ids), head).float()


def hidden(cfg, W, ids):
    """Final hidden states (B, T, C) after model.norm."""
    B, T = ids.shape
    C, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    NKV = cfg.get("num_key_value_heads", NH)
    HD = C // NH
    inv = 1.0 / (cfg.get("rope_parameters", {}).get("rope_theta", cfg.get("rope_theta", 10000.0)) ** (torch.arange(0, HD, 2).float() / HD))
    f = torch.outer(torch.arange(T).float(), inv).to(ids.device)
    cos, sin = torch.cat((f, f), -1).cos(), torch.cat((f, f), -1).sin()
    mask = torch.full((T, T), float("-inf"), device=ids.device).triu(1)
    x = W["model.embed_tokens.weight"][ids]
    lin = torch.nn.functional.linear
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"], cfg["rms_norm_eps"])
        q = lin(h, W[p + "self_attn.q_proj.weight"]).view(B, T, NH, HD).transpose(1, 2)
        k = lin(h, W[p + "self_attn.k_proj.weight"]).view(B, T, NKV, HD).transpose(1, 2)
        v = lin(h, W[p + "self_attn.v_proj.weight"]).view(B, T, NKV, HD).transpose(1, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k, v = k.repeat_interleave(NH // NKV, 1), v.repeat_interleave(NH // NKV, 1)
        att = torch.softmax((q @ k.transpose(-1, -2)).float() / math.sqrt(HD) + mask, -1).to(v.dtype)
        x = x + lin((att @ v).transpose(1, 2).reshape(B, T, C), W[p + "self_attn.o_proj.weight"])
        h = rms(x, W[p + "post_attention_layernorm.weight"], cfg["rms_norm_eps"])
        g = torch.nn.functional.silu(lin(h, W[p + "mlp.gate_proj.weight"])) * lin(h, W[p + "mlp.up_proj.weight"])
        x = x + lin(g, W[p + "mlp.down_proj.weight"])
    return rms(x, W["model.norm.weight"], cfg["rms_norm_eps"])


def main():
    model_dir, T, B, steps, precision, threads = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5], int(sys.argv[6])
    device = sys.argv[7] if len(sys.argv) > 7 else "cpu"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    W = {k: v.to(device).requires_grad_(True) for k, v in read_safetensors(os.path.join(model_dir, "model.safetensors")).items()}
    opt = torch.optim.AdamW(W.values(), lr=1e-4)
    ids = torch.randint(0, cfg["vocab_size"], (B, T + 1)).to(device)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def step():
        opt.zero_grad()
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = forward(cfg, W, ids[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    print(f"tokens_per_s {B * T * steps / (time.perf_counter() - t0)}")


if __name__ == "__main__":
    main()
