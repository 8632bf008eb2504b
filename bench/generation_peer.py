#!/usr/bin/env python3
"""Peer for chosei's generation benchmark: the same greedy KV-cache decoding loop written in
PyTorch Python (HF Llama semantics), on the same model directory.

usage: generation_peer.py MODEL_DIR TOKENS fp32|bf16 THREADS [DEVICE]  -> "tokens_per_s <x>"
DEVICE: cpu (the default) or cuda.
"""
import json
import math
import os
import struct
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
from llama_reference import read_safetensors  # noqa: E402


class Llama(torch.nn.Module):
    def __init__(self, cfg, W, dtype, device="cpu"):
        super().__init__()
        self.cfg = cfg
        self.device = device
        self.W = {k: v.to(device, dtype) for k, v in W.items()}
        self.dtype = dtype
        C, NH = cfg["hidden_size"], cfg["num_attention_heads"]
        self.NH, self.NKV = NH, cfg.get("num_key_value_heads", NH)
        self.HD = cfg.get("head_dim") or C // NH
        self.eps = cfg["rms_norm_eps"]
        self.bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
        inv = 1.0 / (cfg.get("rope_parameters", {}).get("rope_theta", cfg.get("rope_theta", 10000.0)) ** (torch.arange(0, self.HD, 2).float() / self.HD))
        f = torch.outer(torch.arange(cfg["max_position_embeddings"]).float(), inv)
        emb = torch.cat((f, f), -1)
        self.cos, self.sin = emb.cos().to(device, dtype), emb.sin().to(device, dtype)
        self.head = self.W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else self.W["lm_head.weight"]

    def norm(self, x, w):
        xf = x.float()
        return w * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(self.dtype)

    def lin(self, name, x):
        y = torch.nn.functional.linear(x, self.W[name + ".weight"], self.W.get(name + ".bias") if self.bias else None)
        return y

    @staticmethod
    def rot(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), -1)

    def forward(self, ids, pos, cache):
        T = ids.shape[0]
        x = self.W["model.embed_tokens.weight"][ids]
        cos, sin = self.cos[pos : pos + T], self.sin[pos : pos + T]
        for l in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{l}."
            h = self.norm(x, self.W[p + "input_layernorm.weight"])
            q = self.lin(p + "self_attn.q_proj", h).view(T, self.NH, self.HD).transpose(0, 1)
            k = self.lin(p + "self_attn.k_proj", h).view(T, self.NKV, self.HD).transpose(0, 1)
            v = self.lin(p + "self_attn.v_proj", h).view(T, self.NKV, self.HD).transpose(0, 1)
            q = q * cos + self.rot(q) * sin
            k = k * cos + self.rot(k) * sin
            if l in cache:
                k = torch.cat((cache[l][0], k), 1)
                v = torch.cat((cache[l][1], v), 1)
            cache[l] = (k, v)
            g = self.NH // self.NKV
            kk, vv = k.repeat_interleave(g, 0), v.repeat_interleave(g, 0)
            att = q @ kk.transpose(-1, -2) / math.sqrt(self.HD)
            if T > 1:
                att = att + torch.full((T, T), float("-inf"), device=att.device).triu(1).to(att.dtype)
            o = (torch.softmax(att.float(), -1).to(self.dtype) @ vv).transpose(0, 1).reshape(T, -1)
            x = x + self.lin(p + "self_attn.o_proj", o)
            h = self.norm(x, self.W[p + "post_attention_layernorm.weight"])
            x = x + self.lin(p + "mlp.down_proj", torch.nn.functional.silu(self.lin(p + "mlp.gate_proj", h)) * self.lin(p + "mlp.up_proj", h))
        x = self.norm(x[-1:], self.W["model.norm.weight"])
        return (x @ self.head.T).float()


def generate(model, start, n):
    cache, ids, pos = {}, torch.tensor([start], device=model.device), 0
    out = []
    for _ in range(n):
        logits = model(ids, pos, cache)
        pos += ids.shape[0]
        nxt = int(logits[-1].argmax())
        out.append(nxt)
        ids = torch.tensor([nxt], device=model.device)
    return out


def main():
    model_dir, tokens, precision, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    device = sys.argv[5] if len(sys.argv) > 5 else "cpu"
    torch.set_num_threads(threads)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    W = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    bos = cfg.get("bos_token_id")
    model = Llama(cfg, W, torch.bfloat16 if precision == "bf16" else torch.float32, device)
    with torch.inference_mode():
        generate(model, bos if bos is not None else 0, 8)
        t0 = time.perf_counter()
        out = generate(model, bos if bos is not None else 0, tokens)
        s = time.perf_counter() - t0
    print(f"tokens_per_s {len(out) / s}")


if __name__ == "__main__":
    main()
