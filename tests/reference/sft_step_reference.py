#!/usr/bin/env python3
"""PyTorch reference for one SFT step: the loss (summed next-token cross-entropy over
targets != -100, divided by their count) and the gradient of every parameter, for a model
directory and a batch written by the C++ test.

usage: sft_step_reference.py MODEL_DIR BATCH.safetensors OUT.safetensors
BATCH holds "input_ids" (B, T) and "targets" (B, T) as I64; OUT gets "loss" and "grad.<name>".
"""
import json
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from llama_reference import forward, read_safetensors, write_safetensors  # noqa: E402


def main():
    model_dir, batch_path, out = sys.argv[1:4]
    torch.set_num_threads(1)
    cfg = json.load(open(f"{model_dir}/config.json"))
    W = {k: v.clone().requires_grad_(True) for k, v in read_safetensors(f"{model_dir}/model.safetensors").items()}
    batch = read_safetensors(batch_path, as_float=False)
    ids, targets = batch["input_ids"], batch["targets"]
    total = torch.zeros(())
    for b in range(ids.shape[0]):
        logits = forward(cfg, W, ids[b].tolist())
        total = total + torch.nn.functional.cross_entropy(logits, targets[b], ignore_index=-100, reduction="sum")
    loss = total / (targets != -100).sum()
    loss.backward()
    result = {"loss": loss.detach().reshape(1)}
    for k, v in W.items():
        result["grad." + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    write_safetensors(out, result)


if __name__ == "__main__":
    main()
