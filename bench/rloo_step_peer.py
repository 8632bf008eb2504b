#!/usr/bin/env python3
"""Peer for chosei's RLOO step benchmark: the same step in PyTorch Python, as TRL's
RLOOTrainer runs it without vLLM: P prompts of T random tokens, k completions each sampled
at temperature 1 with a batched KV-cache decode of N tokens, a reward per completion, the
old policy's and the reference's log-probs (two no-grad forwards), the k1 KL in the reward,
the leave-one-out baseline, the sequence-level clipped ratio, backward and AdamW.

usage: rloo_step_peer.py MODEL_DIR T N P K STEPS THREADS  -> "samples_per_s <x>"
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
from llama_reference import read_safetensors  # noqa: E402
from sft_step_peer import forward  # noqa: E402


def rot(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


@torch.no_grad()
def sample(cfg, W, prompts, n):
    """Batched decode with a KV cache: (B, T) prompts -> (B, n) sampled tokens."""
    B, T = prompts.shape
    C, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    NKV = cfg.get("num_key_value_heads", NH)
    HD = C // NH
    inv = 1.0 / (cfg.get("rope_parameters", {}).get("rope_theta", cfg.get("rope_theta", 10000.0)) ** (torch.arange(0, HD, 2).float() / HD))
    f = torch.outer(torch.arange(T + n).float(), inv)
    emb = torch.cat((f, f), -1)
    cos, sin = emb.cos(), emb.sin()
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    norm = lambda x, w: w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + cfg["rms_norm_eps"])
    lin = lambda name, x: x @ W[name + ".weight"].T
    cache = {}

    def step(ids, pos):
        L = ids.shape[1]
        x = W["model.embed_tokens.weight"][ids]
        c, s = cos[pos:pos + L], sin[pos:pos + L]
        for l in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{l}."
            h = norm(x, W[p + "input_layernorm.weight"])
            q = lin(p + "self_attn.q_proj", h).view(B, L, NH, HD).transpose(1, 2)
            k = lin(p + "self_attn.k_proj", h).view(B, L, NKV, HD).transpose(1, 2)
            v = lin(p + "self_attn.v_proj", h).view(B, L, NKV, HD).transpose(1, 2)
            q, k = q * c + rot(q) * s, k * c + rot(k) * s
            if l in cache:
                k, v = torch.cat((cache[l][0], k), 2), torch.cat((cache[l][1], v), 2)
            cache[l] = (k, v)
            g = NH // NKV
            att = q @ k.repeat_interleave(g, 1).transpose(-1, -2) / math.sqrt(HD)
            if L > 1:
                att = att + torch.full((L, L), float("-inf")).triu(1)
            o = torch.softmax(att, -1) @ v.repeat_interleave(g, 1)
            x = x + lin(p + "self_attn.o_proj", o.transpose(1, 2).reshape(B, L, C))
            h = norm(x, W[p + "post_attention_layernorm.weight"])
            x = x + lin(p + "mlp.down_proj", F.silu(lin(p + "mlp.gate_proj", h)) * lin(p + "mlp.up_proj", h))
        return norm(x[:, -1], W["model.norm.weight"]) @ head.T

    logits, out = step(prompts, 0), []
    for t in range(n):
        nxt = torch.multinomial(torch.softmax(logits.float(), -1), 1)
        out.append(nxt)
        if t + 1 < n:
            logits = step(nxt, T + t)
    return torch.cat(out, 1)


def completion_logps(cfg, W, seqs, T):
    logits = forward(cfg, W, seqs[:, :-1])
    lp = F.log_softmax(logits.float(), -1).gather(-1, seqs[:, 1:].unsqueeze(-1)).squeeze(-1)
    return lp[:, T - 1:]


def main():
    model_dir, T, N, P, K, steps, threads = sys.argv[1], *map(int, sys.argv[2:8])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    W = {k: v.requires_grad_(True) for k, v in read_safetensors(os.path.join(model_dir, "model.safetensors")).items()}
    R = {k: v.detach().clone() for k, v in W.items()}
    opt = torch.optim.AdamW(W.values(), lr=1e-5)
    beta, eps = 0.05, 0.2

    def one_step():
        prompts = torch.randint(0, cfg["vocab_size"], (P, T)).repeat_interleave(K, 0)
        seqs = torch.cat((prompts, sample(cfg, {k: v.detach() for k, v in W.items()}, prompts, N)), 1)
        rewards = torch.rand(P * K)
        with torch.no_grad():
            old = completion_logps(cfg, W, seqs, T)
            ref = completion_logps(cfg, R, seqs, T)
        r = (rewards - beta * (old - ref).sum(-1)).view(P, K)
        adv = (r - (r.sum(1, keepdim=True) - r) / (K - 1)).view(-1)
        opt.zero_grad()
        lp = completion_logps(cfg, W, seqs, T)
        ratio = torch.exp((lp - old).sum(-1))
        loss = -torch.min(ratio * adv, ratio.clamp(1 - eps, 1 + eps) * adv).mean()
        loss.backward()
        opt.step()

    one_step()
    t0 = time.perf_counter()
    for _ in range(steps):
        one_step()
    print(f"samples_per_s {P * K * steps / (time.perf_counter() - t0)}")


if __name__ == "__main__":
    main()
