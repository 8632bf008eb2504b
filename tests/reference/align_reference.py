#!/usr/bin/env python3
"""PyTorch reference for the offline preference objectives: every sequence run alone (no
packing) through an independent Llama forward (llama_reference.py, weights read by its own
safetensors parser), log-probabilities in fp32, and each loss written from its paper as the
anchors compute it (../shared/reference/preference_learning.md):

  dpo/cdpo  -(1-e) logsig(b D) - e logsig(-b D)            arXiv 2305.18290 Eq. 7
  robust    [-(1-e) logsig(b D) + e logsig(-b D)] / (1-2e)  arXiv 2403.00409
  ipo       (D_avg - 1/(2b))^2                             arXiv 2310.12036 Eq. 17 (TRL: avg)
  hinge     relu(1 - b D)                                  arXiv 2305.10425, 2309.06657
  simpo     -logsig(b (avg_c - avg_r) - g)                 arXiv 2405.14734 Eq. 6
  orpo      NLL_seq(c) - b logsig(log_odds)                arXiv 2403.07691 Eqs. 4, 7
  kto       wD (1 - sig(b (r - z))) | wU (1 - sig(b (z - r))), z = max(0, mean KL) detached
                                                           arXiv 2402.01306 Eqs. 7-8

plus sft_weight * (chosen answer's token-mean NLL), averaged over pairs; writes the loss,
the per-pair log-probs and the gradient of every policy parameter.

usage: align_reference.py POLICY_DIR REFERENCE_DIR PAIRS.json OUT.safetensors
  PAIRS.json: {"method", "beta", "label_smoothing", "gamma", "sft_weight",
               "chosen": [[ids]], "rejected": [[ids]], "prompt_tokens": [n]}
     for kto: {"method": "kto", "beta", "desirable_weight", "undesirable_weight",
               "completion": [[ids]], "mismatched": [[ids]], "prompt_tokens": [n], "desirable": [bool]}
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from llama_reference import forward, read_safetensors, write_safetensors  # noqa: E402


def logps(cfg, W, ids, prompt):
    """(answer sum, answer tokens, all sum, all tokens) of one sequence."""
    logits = forward(cfg, W, ids[:-1]).float()
    lp = F.log_softmax(logits, dim=-1).gather(-1, torch.tensor(ids[1:]).unsqueeze(-1)).squeeze(-1)
    answer = torch.tensor([t + 1 >= prompt for t in range(len(ids) - 1)], dtype=torch.float32)
    return (lp * answer).sum(), answer.sum(), lp.sum(), float(len(ids) - 1)


def log1mexp(x):
    return torch.where(x > -math.log(2), torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x)))


def main():
    policy_dir, reference_dir, pairs_path, out = sys.argv[1:5]
    torch.set_num_threads(1)
    cfg = json.load(open(f"{policy_dir}/config.json"))
    W = {k: v.clone().requires_grad_(True) for k, v in read_safetensors(f"{policy_dir}/model.safetensors").items()}
    R = read_safetensors(f"{reference_dir}/model.safetensors")
    d = json.load(open(pairs_path))
    if d["method"] == "kto":
        return kto(cfg, W, R, d, out)
    b, e, g, sft = d["beta"], d["label_smoothing"], d["gamma"], d["sft_weight"]
    pol = [[logps(cfg, W, ids, n) for ids, n in zip(d[side], d["prompt_tokens"])] for side in ("chosen", "rejected")]
    with torch.no_grad():
        ref = [[logps(cfg, R, ids, n)[0] for ids, n in zip(d[side], d["prompt_tokens"])] for side in ("chosen", "rejected")]
    c = torch.stack([x[0] for x in pol[0]]); r = torch.stack([x[0] for x in pol[1]])
    nc = torch.stack([x[1] for x in pol[0]]).clamp_min(1); nr = torch.stack([x[1] for x in pol[1]]).clamp_min(1)
    c_all = torch.stack([x[2] for x in pol[0]]); n_all = torch.tensor([x[3] for x in pol[0]])
    rc = torch.stack(ref[0]); rr = torch.stack(ref[1])
    D = (c - rc) - (r - rr)
    m = d["method"]
    if m in ("dpo", "cdpo"):
        loss = -(1 - e) * F.logsigmoid(b * D) - e * F.logsigmoid(-b * D)
    elif m == "robust":
        loss = (-(1 - e) * F.logsigmoid(b * D) + e * F.logsigmoid(-b * D)) / (1 - 2 * e)
    elif m == "ipo":
        loss = ((c / nc - rc / nc) - (r / nr - rr / nr) - 1 / (2 * b)) ** 2
    elif m == "hinge":
        loss = torch.relu(1 - b * D)
    elif m == "simpo":
        loss = -F.logsigmoid(b * (c / nc - r / nr) - g)
    elif m == "orpo":
        lc, lr = c / nc, r / nr
        log_odds = (lc - lr) - (log1mexp(lc) - log1mexp(lr))
        loss = -c_all / n_all - b * F.logsigmoid(log_odds)
    else:
        raise SystemExit("unknown method " + m)
    loss = loss + sft * (-c / nc)
    mean = loss.mean()
    mean.backward()
    result = {"loss": mean.detach().reshape(1), "chosen": c.detach(), "rejected": r.detach(),
              "ref_chosen": rc, "ref_rejected": rr}
    for k, v in W.items():
        result["grad." + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    write_safetensors(out, result)


def kto(cfg, W, R, d, out):
    b = d["beta"]
    sums = lambda weights, side: torch.stack([logps(cfg, weights, ids, n)[0] for ids, n in zip(d[side], d["prompt_tokens"])])
    pc, pm = sums(W, "completion"), sums(W, "mismatched")
    with torch.no_grad():
        rc, rm = sums(R, "completion"), sums(R, "mismatched")
    z = (pm - rm).mean().clamp(min=0).detach()
    r = pc - rc
    good = torch.tensor(d["desirable"])
    loss = torch.where(good, d["desirable_weight"] * (1 - torch.sigmoid(b * (r - z))),
                       d["undesirable_weight"] * (1 - torch.sigmoid(b * (z - r))))
    mean = loss.mean()
    mean.backward()
    result = {"loss": mean.detach().reshape(1), "kl": z.reshape(1), "ref_chosen": rc}
    for k, v in W.items():
        result["grad." + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    write_safetensors(out, result)


if __name__ == "__main__":
    main()
