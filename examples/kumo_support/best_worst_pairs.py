#!/usr/bin/env python3
"""On-policy preference pairs from judged samples: for each prompt, the best and the worst of
the model's own sampled answers by the reward model's score (`chosei eval --judge ... --samples
N --out FILE` writes them), kept when the scores differ by at least MIN_MARGIN. The RM turns
the Kumo preference data into pairs the policy itself could have written: DPO then moves it
from its own worst toward its own best (on-policy pairs; Xiong et al. 2024, iterative
DPO, arXiv 2312.11456).

usage: best_worst_pairs.py PROMPTS.jsonl JUDGED.jsonl OUT.jsonl [MIN_MARGIN]
"""
import json
import sys


def main():
    prompts_path, judged_path, out_path = sys.argv[1:4]
    min_margin = float(sys.argv[4]) if len(sys.argv) > 4 else 0.5
    prompts = {}
    for line in open(prompts_path, encoding="utf-8"):
        r = json.loads(line)
        prompts[r["id"]] = r["messages"]
    answers = {}
    for line in open(judged_path, encoding="utf-8"):
        j = json.loads(line)
        answers.setdefault(j["prompt"], []).append((j["reward"], j["answer"]))
    kept = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for pid, scored in answers.items():
            scored = [s for s in scored if s[1].strip()]
            if len(scored) < 2:
                continue
            best, worst = max(scored), min(scored)
            if best[0] - worst[0] < min_margin or best[1] == worst[1]:
                continue
            out.write(json.dumps({"id": pid, "prompt": prompts[pid],
                                  "chosen": [{"role": "assistant", "content": best[1]}],
                                  "rejected": [{"role": "assistant", "content": worst[1]}]},
                                 ensure_ascii=False) + "\n")
            kept += 1
    print(f"on-policy pairs: {kept} of {len(answers)} prompts (best vs worst, margin >= {min_margin})")


if __name__ == "__main__":
    main()
