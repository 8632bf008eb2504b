#!/usr/bin/env python3
"""The demo's closing table (Markdown): what SFT, DPO and RLOO did to SmolLM2 on held-out data,
then what each stage cost. Every number is read from the files the demo's commands wrote.

usage: table.py OUT_DIR COSTS_TSV
"""
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def share(d, count, total):
    return "%.0f%% (%d/%d)" % (100 * d[count] / max(d[total], 1), d[count], d[total])


def win(j):
    lo, hi = j["win_rate_ci95"]
    return "%.2f [%.2f, %.2f] (%d-%d-%d)" % (j["win_rate"], lo, hi, j["wins"], j["ties"], j["losses"])


def main():
    out, costs = sys.argv[1:3]
    ev = load(f"{out}/eval.json")
    sft_j, dpo_j, al_j = (load(f"{out}/judged_{n}.json") for n in ("sft", "dpo", "aligned"))
    rm = load(f"{out}/reward/eval.json")
    stats = load(f"{out}/labeling/stats.json")
    base, sft = ev["baseline"], ev["model"]
    rows = [
        ("held-out loss (assistant tokens)", "%.3f" % base["loss"], "%.3f" % sft["loss"], "", ""),
        ("held-out token F1 (greedy)", "%.3f" % base["token_f1"], "%.3f" % sft["token_f1"], "", ""),
        ("held-out ROUGE-L (greedy)", "%.3f" % base["rouge_l"], "%.3f" % sft["rouge_l"], "", ""),
        ("general chat loss (forgetting %+.3f)" % ev["forgetting"], "%.3f" % base["general_loss"],
         "%.3f" % sft["general_loss"], "", ""),
        ("mean reward on held-out prompts", "%.2f" % sft_j["reward_baseline"], "%.2f" % sft_j["reward_model"],
         "%.2f" % dpo_j["reward_model"], "%.2f" % al_j["reward_model"]),
        ("judged win rate [95%] (W-T-L)", "", "vs base " + win(sft_j), "vs SFT " + win(dpo_j),
         "vs SFT " + win(al_j)),
        ("XSTest safe prompts refused", share(sft_j["benign"]["baseline"], "refusals", "answers"),
         share(sft_j["benign"]["model"], "refusals", "answers"), "",
         share(al_j["benign"]["model"], "refusals", "answers")),
        ("red-team answers the filters catch", share(sft_j["safety"]["baseline"], "flagged", "answers"),
         share(sft_j["safety"]["model"], "flagged", "answers"), "",
         share(al_j["safety"]["model"], "flagged", "answers")),
    ]
    print("| on held-out data | SmolLM2 base | SFT (LoRA) | DPO | aligned (RLOO) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    lo, hi = rm["accuracy_ci95"]
    print()
    print("Reward model (SFT backbone, LoRA) on %d held-out Kumo pairs: accuracy %.3f [%.3f, %.3f]; "
          "shorter answer wins %.3f, longer %.3f." % (rm["pairs"], rm["accuracy"], lo, hi,
                                                      rm["shorter_answer_wins"], rm["longer_answer_wins"]))
    board = ", ".join("%s %.0f (%d-%d-%d)" % (b["model"], b["rating"], b["wins"], b["ties"], b["losses"])
                      for b in stats["leaderboard"])
    print("Labeling session: %d labels on %d items, Fleiss' kappa %s; leaderboard (rating, W-T-L): %s."
          % (stats["labels"], stats["items"], stats["fleiss_kappa"], board or "none"))
    print()
    print("| stage | minutes |")
    print("|---|---|")
    total = 0
    for line in open(costs, encoding="utf-8"):
        name, seconds = line.rstrip("\n").split("\t")
        total += int(seconds)
        print("| %s | %.1f |" % (name, int(seconds) / 60))
    print("| **total** | **%.1f** |" % (total / 60))


if __name__ == "__main__":
    main()
