#!/usr/bin/env python3
"""PyTorch reference for a sequence classifier (HF LlamaForSequenceClassification with
num_labels C): the logits of each text read at its last token, each text run alone (no
padding, no packing), and the loss of transformers' two problem types,

    multi_label_classification:  mean_i sum_c BCEWithLogits(z_ic, y_ic)
    single_label_classification: mean_i CrossEntropy(z_i, y_i)

(torch.nn.functional's own implementations), with the gradient of every parameter. Weights
come from the model directory's config.json and model.safetensors, read by the parser in
llama_reference.py (not chosei's).

usage: classifier_reference.py MODEL_DIR TEXTS.json OUT.safetensors
         TEXTS.json: {"ids": [[...]], "targets": [[0/1 x C]] or [class], "problem": "multi_label"|"single_label"}
         OUT gets "logits" (N, C), "loss" and "grad.<name>"
       classifier_reference.py probs MODEL_DIR IDS.jsonl
         one {"ids": [...]} per line in (as `chosei classifier score --ids` prints them);
         prints each text's probabilities (sigmoid or softmax by config.json's problem_type)
"""
import json
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from llama_reference import hidden_states, read_safetensors, write_safetensors  # noqa: E402


def main(model_dir, texts_path, out):
    cfg = json.load(open(f"{model_dir}/config.json"))
    assert cfg["architectures"][0].endswith("ForSequenceClassification"), cfg["architectures"]
    W = {k: v.clone().requires_grad_(True) for k, v in read_safetensors(f"{model_dir}/model.safetensors").items()}
    data = json.load(open(texts_path))
    logits = torch.stack([hidden_states(cfg, W, ids)[-1] @ W["score.weight"].T for ids in data["ids"]])
    if data["problem"] == "multi_label":
        y = torch.tensor(data["targets"], dtype=torch.float32)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none").sum(1).mean()
    else:
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(data["targets"]))
    loss.backward()
    result = {"logits": logits.detach(), "loss": loss.detach().reshape(1)}
    for k, v in W.items():
        result["grad." + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    write_safetensors(out, result)


def probs(model_dir, ids_path):
    cfg = json.load(open(f"{model_dir}/config.json"))
    W = read_safetensors(f"{model_dir}/model.safetensors")
    single = cfg.get("problem_type") == "single_label_classification"
    with torch.no_grad():
        for line in open(ids_path):
            if line.strip():
                z = hidden_states(cfg, W, json.loads(line)["ids"])[-1] @ W["score.weight"].T
                print(json.dumps((torch.softmax(z, -1) if single else torch.sigmoid(z)).tolist()))


if __name__ == "__main__":
    torch.set_num_threads(1)
    if sys.argv[1] == "probs":
        probs(*sys.argv[2:4])
    else:
        main(*sys.argv[1:4])
