#!/usr/bin/env python3
"""Peer for chosei's DPO step benchmark: the same step in PyTorch Python, as TRL's
DPOTrainer computes it with precomputed reference log-probs: one batched forward over the
chosen and rejected sequences (T tokens, the second half the answer), log-softmax in fp32,
summed answer log-probs, -logsigmoid(beta * delta), backward, AdamW; bf16 by autocast.

usage: dpo_step_peer.py MODEL_DIR SEQ PAIRS STEPS fp32|bf16 THREADS  -> "pairs_per_s <x>"
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
from llama_reference import read_safetensors  # noqa: E402
from sft_step_peer import forward  # noqa: E402


def main():
    model_dir, T, P, steps, precision, threads = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5], int(sys.argv[6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    W = {k: v.requires_grad_(True) for k, v in read_safetensors(os.path.join(model_dir, "model.safetensors")).items()}
    opt = torch.optim.AdamW(W.values(), lr=1e-4)
    ids = torch.randint(0, cfg["vocab_size"], (2 * P, T))
    answer = torch.zeros(2 * P, T - 1)
    answer[:, T // 2 - 1:] = 1  # targets of the second half
    ref = torch.randn(2 * P) - 50

    def step():
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = forward(cfg, W, ids[:, :-1])
        lp = F.log_softmax(logits.float(), -1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        s = (lp * answer).sum(-1)
        delta = (s[:P] - ref[:P]) - (s[P:] - ref[P:])
        loss = -F.logsigmoid(0.1 * delta).mean()
        loss.backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    print(f"pairs_per_s {P * steps / (time.perf_counter() - t0)}")


if __name__ == "__main__":
    main()
