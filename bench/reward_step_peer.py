#!/usr/bin/env python3
"""Peer for chosei's reward-model step benchmark: the same step in PyTorch Python (batched
Llama forward with HF semantics, a score head read at the last token, Bradley-Terry loss
-logsigmoid(r_c - r_r), backward, AdamW), on the same model directory and shapes.

usage: reward_step_peer.py MODEL_DIR SEQ PAIRS STEPS fp32|bf16 THREADS  -> "pairs_per_s <x>"
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
from llama_reference import read_safetensors  # noqa: E402
from sft_step_peer import hidden  # noqa: E402


def main():
    model_dir, T, P, steps, precision, threads = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5], int(sys.argv[6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    W = {k: v.requires_grad_(True) for k, v in read_safetensors(os.path.join(model_dir, "model.safetensors")).items()
         if k != "lm_head.weight"}
    W["score.weight"] = (torch.randn(1, cfg["hidden_size"]) / (cfg["hidden_size"] + 1)).requires_grad_(True)
    opt = torch.optim.AdamW(W.values(), lr=1e-4)
    ids = torch.randint(0, cfg["vocab_size"], (2 * P, T))

    def step():
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            h = hidden(cfg, W, ids)[:, -1]
            r = torch.nn.functional.linear(h, W["score.weight"]).float()[:, 0]
        loss = -torch.nn.functional.logsigmoid(r[:P] - r[P:]).mean()
        loss.backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    print(f"pairs_per_s {P * steps / (time.perf_counter() - t0)}")


if __name__ == "__main__":
    main()
