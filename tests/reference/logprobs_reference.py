#!/usr/bin/env python3
"""Recomputes served log-probabilities with the PyTorch reference forward pass: greedy decoding's
and, for echo with max_tokens 0, the prompt's own (log_softmax at each token given those before).

For each case (prompt ids, the server's token_logprobs and top_logprobs values, from
tests/node/openai_api_features_test.mjs) it decodes greedily itself, teacher-forcing its own
argmax, and checks every step: log_softmax of the reference logits at the chosen token
equals the server's logprob, and the top-5 values equal the server's alternatives.

usage: logprobs_reference.py MODEL_DIR CASES_JSON
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import forward, read_safetensors  # noqa: E402

TOLERANCE = 2e-4


def main():
    model_dir, cases_path = sys.argv[1:3]
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    cases = json.load(open(cases_path))
    worst = 0.0
    scored = 0
    for case in cases:
        prompt = list(case["prompt"])
        with torch.no_grad():
            prompt_lp = torch.log_softmax(forward(cfg, weights, prompt).double(), dim=-1)
        for t, served in enumerate(case.get("prompt_logprobs", []), start=1):
            ref = prompt_lp[t - 1, prompt[t]].item()
            worst = max(worst, abs(ref - served))
            assert abs(ref - served) < TOLERANCE, ("prompt", prompt, t, ref, served)
            scored += 1
        ids = list(case["prompt"])
        for step, (served, served_top) in enumerate(zip(case["token_logprobs"], case["top_logprobs"])):
            with torch.no_grad():
                logits = forward(cfg, weights, ids)[-1].double()
            logprobs = torch.log_softmax(logits, dim=-1)
            chosen = int(torch.argmax(logprobs))
            top = torch.topk(logprobs, len(served_top)).values.tolist()
            worst = max(worst, abs(logprobs[chosen].item() - served))
            assert abs(logprobs[chosen].item() - served) < TOLERANCE, (case["prompt"], step, logprobs[chosen].item(), served)
            for a, b in zip(top, served_top):
                worst = max(worst, abs(a - b))
                assert abs(a - b) < TOLERANCE, (case["prompt"], step, top, served_top)
            ids.append(chosen)
    print(f"logprobs: {sum(len(c['token_logprobs']) for c in cases)} greedy steps and {scored} scored prompt tokens equal PyTorch's log_softmax (max |diff| {worst:.2e})")


if __name__ == "__main__":
    main()
