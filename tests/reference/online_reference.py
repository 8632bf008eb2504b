#!/usr/bin/env python3
"""PyTorch reference for the online objectives: each completion run alone through an
independent Llama forward (llama_reference.py, its own safetensors parser), per-token
log-probabilities in fp32 at the sampling temperature, and each loss written from its paper
as TRL computes it (../shared/reference/preference_learning.md):

  grpo  per token -min(r A, clip(r, 1-el, 1+eh) A) + beta k3,  r = exp(logp - old),
        k3 = exp(ref - logp) - (ref - logp) - 1              arXiv 2402.03300 Eq. 21
        aggregated as grpo (sequence means, then their mean), bnpo (token mean of each
        micro-batch, then their mean), dr_grpo (sum / (S L)), dapo (sum / tokens)
  rloo  -min(r A, clip(r, 1-el, 1+eh) A) per completion, r = exp(sum logp - sum old),
        mean over completions                                 arXiv 2402.14740

The old log-probs and advantages come from the input (so ratios away from 1 exercise the
clip). Writes the loss, the reference's per-token log-probs and every policy gradient.

usage: online_reference.py POLICY_DIR REFERENCE_DIR STEP.json OUT.safetensors
  STEP.json: {"method", "beta", "epsilon_low", "epsilon_high", "aggregation",
              "max_completion_length", "temperature", "sequences": [[ids]],
              "prompt_tokens": [n], "old": [[per completion token]], "advantages": [a],
              "micro_batches": [[sequence indices]]}
"""
import json
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from llama_reference import forward, read_safetensors, write_safetensors  # noqa: E402


def completion_logps(cfg, W, ids, prompt, temperature):
    logits = forward(cfg, W, ids[:-1]).float() / temperature
    lp = F.log_softmax(logits, dim=-1).gather(-1, torch.tensor(ids[1:]).unsqueeze(-1)).squeeze(-1)
    return lp[prompt - 1:]  # the targets from the first completion token on


def main():
    policy_dir, reference_dir, step_path, out = sys.argv[1:5]
    torch.set_num_threads(1)
    cfg = json.load(open(f"{policy_dir}/config.json"))
    W = {k: v.clone().requires_grad_(True) for k, v in read_safetensors(f"{policy_dir}/model.safetensors").items()}
    R = read_safetensors(f"{reference_dir}/model.safetensors")
    d = json.load(open(step_path))
    T, beta, el, eh = d["temperature"], d["beta"], d["epsilon_low"], d["epsilon_high"]
    seqs = list(zip(d["sequences"], d["prompt_tokens"]))
    lp = [completion_logps(cfg, W, ids, n, T) for ids, n in seqs]
    with torch.no_grad():
        ref = [completion_logps(cfg, R, ids, n, T) for ids, n in seqs]
    old = [torch.tensor(o, dtype=torch.float32) for o in d["old"]]
    A = torch.tensor(d["advantages"], dtype=torch.float32)
    if d["method"] == "rloo":
        ratio = torch.stack([torch.exp((l - o).sum()) for l, o in zip(lp, old)])
        per_seq = -torch.min(ratio * A, ratio.clamp(1 - el, 1 + eh) * A)
        loss = per_seq.mean()
    else:
        per_token = []
        for i, (l, o, r) in enumerate(zip(lp, old, ref)):
            ratio = torch.exp(l - o)
            t = -torch.min(ratio * A[i], ratio.clamp(1 - el, 1 + eh) * A[i])
            if beta != 0:
                t = t + beta * (torch.exp(r - l) - (r - l) - 1)
            per_token.append(t)
        agg = d["aggregation"]
        if agg == "grpo":
            loss = torch.stack([t.mean() for t in per_token]).mean()
        elif agg == "bnpo":
            loss = torch.stack([torch.cat([per_token[i] for i in mb]).mean()
                                for mb in d["micro_batches"]]).mean()
        elif agg == "dr_grpo":
            loss = torch.cat(per_token).sum() / (len(per_token) * d["max_completion_length"])
        elif agg == "dapo":
            loss = torch.cat(per_token).sum() / sum(len(t) for t in per_token)
        else:
            raise SystemExit("unknown aggregation " + agg)
    loss.backward()
    result = {"loss": loss.detach().reshape(1), "ref": torch.cat(ref)}
    for k, v in W.items():
        result["grad." + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    write_safetensors(out, result)


if __name__ == "__main__":
    main()
