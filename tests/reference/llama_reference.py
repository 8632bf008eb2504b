#!/usr/bin/env python3
"""Independent PyTorch reference for chosei's Llama-family forward pass.

Reads a model directory (config.json + model.safetensors) with a safetensors parser written
here from the published format (not chosei's), computes logits for the given token ids with
Hugging Face semantics (RMSNorm, rotate_half RoPE, grouped-query attention via repeat_kv,
optional q/k/v bias, SwiGLU, tied or untied head) and writes them as a safetensors file.

usage: llama_reference.py MODEL_DIR IDS_JSON OUT.safetensors
"""
import json
import math
import struct
import sys

import torch

DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2), "I64": (torch.int64, 8)}


def read_safetensors(path, as_float=True):
    """Tensors by name; floating ones converted to float32 unless as_float is False."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    tensors = {}
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, size = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        assert 0 <= begin <= end <= len(body), f"{name}: offsets out of range"
        count = math.prod(info["shape"]) if info["shape"] else 1
        assert count * size == end - begin, f"{name}: byte count mismatch"
        spans.append((begin, end, name))
        raw = bytearray(body[begin:end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        t = t.reshape(info["shape"])
        tensors[name] = t.float() if as_float and t.is_floating_point() else t
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        assert e0 <= b1, f"{n0} overlaps {n1}"
    assert n % 8 == 0, "header not padded to 8 bytes"
    return tensors


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = t.contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(cfg, W, ids):
    """Logits (T, V) of one sequence."""
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else W["lm_head.weight"]
    return hidden_states(cfg, W, ids) @ head.T


def hidden_states(cfg, W, ids):
    """Final hidden states (T, C) after model.norm, one sequence alone (no padding)."""
    C = cfg["hidden_size"]
    NH = cfg["num_attention_heads"]
    NKV = cfg.get("num_key_value_heads", NH)
    HD = cfg.get("head_dim") or C // NH
    eps = cfg["rms_norm_eps"]
    bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    T = len(ids)
    # transformers writes rope_parameters today; older configs rope_theta.
    theta = cfg.get("rope_parameters", {}).get("rope_theta", cfg.get("rope_theta", 10000.0))
    inv_freq = 1.0 / (theta ** (torch.arange(0, HD, 2).float() / HD))
    freqs = torch.outer(torch.arange(T).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    mask = torch.full((T, T), float("-inf")).triu(1)

    def lin(name, v):
        y = v @ W[name + ".weight"].T
        if bias and name.split(".")[-1] in ("q_proj", "k_proj", "v_proj"):
            y = y + W[name + ".bias"]
        return y

    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = lin(p + "self_attn.q_proj", h).view(T, NH, HD).transpose(0, 1)
        k = lin(p + "self_attn.k_proj", h).view(T, NKV, HD).transpose(0, 1)
        v = lin(p + "self_attn.v_proj", h).view(T, NKV, HD).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(NH // NKV, dim=0)
        v = v.repeat_interleave(NH // NKV, dim=0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HD) + mask, dim=-1)
        o = (att @ v).transpose(0, 1).reshape(T, NH * HD)
        x = x + lin(p + "self_attn.o_proj", o)
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        g = torch.nn.functional.silu(lin(p + "mlp.gate_proj", h)) * lin(p + "mlp.up_proj", h)
        x = x + lin(p + "mlp.down_proj", g)
    return rms_norm(x, W["model.norm.weight"], eps)


def main():
    model_dir, ids_json, out = sys.argv[1:4]
    torch.set_num_threads(1)
    cfg = json.load(open(f"{model_dir}/config.json"))
    W = read_safetensors(f"{model_dir}/model.safetensors")
    with torch.no_grad():
        logits = forward(cfg, W, json.loads(ids_json))
    write_safetensors(out, {"logits": logits})


if __name__ == "__main__":
    main()
