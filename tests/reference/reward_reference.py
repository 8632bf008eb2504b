#!/usr/bin/env python3
"""PyTorch reference for a reward model (HF LlamaForSequenceClassification, num_labels 1):
the reward of each sequence read at its last token, each sequence run alone (no padding,
no packing), and the Bradley-Terry loss with per-pair margin and centering,

    mean_i [ -log sigmoid(r_c - r_r - m_i) + eta * (r_c + r_r)^2 ]

(arXiv 2203.02155 Eq. 1, 2307.09288 Eq. 2, 2312.09244 Eq. 2) with the gradient of every
parameter. Weights come from the model directory's config.json and model.safetensors, read
by the parser in llama_reference.py (not chosei's).

usage: reward_reference.py pairs MODEL_DIR PAIRS.json OUT.safetensors
         PAIRS.json: {"chosen": [[ids]], "rejected": [[ids]], "margin": [m], "eta": eta}
         OUT gets "chosen", "rejected", "loss" and "grad.<name>"
       reward_reference.py score MODEL_DIR IDS.jsonl
         one {"ids": [...]} per line in (as `chosei reward score --ids` prints them);
         prints one reward per line
"""
import json
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from llama_reference import hidden_states, read_safetensors, write_safetensors  # noqa: E402


def reward(cfg, W, ids):
    return (hidden_states(cfg, W, ids)[-1] @ W["score.weight"].T)[0]


def pairs(model_dir, pairs_path, out):
    cfg = json.load(open(f"{model_dir}/config.json"))
    assert cfg["architectures"][0].endswith("ForSequenceClassification"), cfg["architectures"]
    W = {k: v.clone().requires_grad_(True) for k, v in read_safetensors(f"{model_dir}/model.safetensors").items()}
    data = json.load(open(pairs_path))
    rc = torch.stack([reward(cfg, W, ids) for ids in data["chosen"]])
    rr = torch.stack([reward(cfg, W, ids) for ids in data["rejected"]])
    m = torch.tensor(data["margin"], dtype=torch.float32)
    loss = (-torch.nn.functional.logsigmoid(rc - rr - m) + data["eta"] * (rc + rr) ** 2).mean()
    loss.backward()
    result = {"chosen": rc.detach(), "rejected": rr.detach(), "loss": loss.detach().reshape(1)}
    for k, v in W.items():
        result["grad." + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    write_safetensors(out, result)


def score(model_dir, ids_path):
    cfg = json.load(open(f"{model_dir}/config.json"))
    W = read_safetensors(f"{model_dir}/model.safetensors")
    with torch.no_grad():
        for line in open(ids_path):
            if line.strip():
                print(float(reward(cfg, W, json.loads(line)["ids"])))


if __name__ == "__main__":
    torch.set_num_threads(1)
    if sys.argv[1] == "pairs":
        pairs(*sys.argv[2:5])
    else:
        score(*sys.argv[2:4])
