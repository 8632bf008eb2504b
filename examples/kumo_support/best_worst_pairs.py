#!/usr/bin/env python3
"""On-policy preference pairs from judged samples. For each training prompt the candidates are
the model's own sampled answers (`chosei eval --judge ... --samples N --out FILE` writes them
with the reward model's score) and the answer written in the training conversation (scored by
`chosei reward score`). The best candidate by the reward model is chosen, the worst sample
rejected, kept when the scores differ by at least MIN_MARGIN.

Rejecting the policy's own worst answer keeps the pairs on-policy (iterative DPO, Xiong et al.
2024, arXiv 2312.11456); letting the written answer compete for "chosen" anchors the pair to a
correct answer when every sample is poor (as SPIN pairs the reference against the model's own
generation, Chen et al. 2024, arXiv 2401.01335), and the reward model still decides when a
sample beats it.

usage: best_worst_pairs.py JUDGED.jsonl REFERENCES.jsonl REFERENCE_SCORES.jsonl OUT.jsonl [MIN_MARGIN]
  REFERENCES.jsonl  {"id", "messages"}: the prompt followed by the written answer
  REFERENCE_SCORES  `chosei reward score --jsonl REFERENCES.jsonl`, one line each
"""
import json
import sys


def read_references(references_path, scores_path):
    prompts, written = {}, {}
    with open(references_path, encoding="utf-8") as refs, open(scores_path, encoding="utf-8") as scores:
        for line, score in zip(refs, scores, strict=True):
            r = json.loads(line)
            prompts[r["id"]] = r["messages"][:-1]
            written[r["id"]] = (json.loads(score)["reward"], r["messages"][-1]["content"])
    return prompts, written


def main():
    judged_path, references_path, scores_path, out_path = sys.argv[1:5]
    min_margin = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    prompts, written = read_references(references_path, scores_path)
    samples = {}
    for line in open(judged_path, encoding="utf-8"):
        j = json.loads(line)
        if j["answer"].strip():
            samples.setdefault(j["prompt"], []).append((j["reward"], j["answer"]))
    kept = written_chosen = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for pid, scored in samples.items():
            worst = min(scored)
            best = max(scored + [written[pid]])
            if best[0] - worst[0] < min_margin or best[1] == worst[1]:
                continue
            written_chosen += best == written[pid]
            out.write(json.dumps({"id": pid, "prompt": prompts[pid],
                                  "chosen": [{"role": "assistant", "content": best[1]}],
                                  "rejected": [{"role": "assistant", "content": worst[1]}]},
                                 ensure_ascii=False) + "\n")
            kept += 1
    print(f"on-policy pairs: {kept} of {len(samples)} prompts (best vs worst sample, margin >= "
          f"{min_margin}; the written answer chosen in {written_chosen})")


if __name__ == "__main__":
    main()
