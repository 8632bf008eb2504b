#!/usr/bin/env python3
"""The real-model demo's data, cut from what `chosei data` checked, cleaned and split.

Bitext's customer-support conversations (split by `chosei data split`, stratified by intent)
and Kumo's English conversations and preference pairs are dealt into disjoint parts, each
used for one thing only:

  sft.jsonl             SFT training conversations (Bitext train rows, then Kumo English train)
  heldout.jsonl         held-out conversations: loss, token F1, the judged win rates (Bitext
                        and Kumo validation rows; never trained on, never used to choose)
  heldout_prompts.jsonl their questions, for the judged comparisons
  label_prompts.jsonl   the labeling session's prompts (Bitext train rows SFT did not see)
  label_references.jsonl  the written answers the simulated agents compare against
  kumo_pairs.jsonl / kumo_pairs_val.jsonl  Kumo English preference pairs for the reward model
                        and held out from it
  dpo_prompts.jsonl, dpo_references.jsonl, dev_prompts.jsonl  DPO's prompts, their written
                        answers, and the development prompts a DPO round is chosen on
  rl_prompts.jsonl      RLOO's prompts: Bitext train rows and the red-team training prompts
  xstest_safe.jsonl     XSTest's safe prompts (refusal rate; measured only)
  general.jsonl         general chat (LLaMA-Factory's alpaca_en_demo): what fine-tuning forgot

usage: prepare.py SPLIT_DIR KUMO_DIR REDTEAM_DIR DATA_DIR OUT_DIR quick|full
"""
import csv
import json
import sys

SIZES = {  # quick: ~12 minutes on 2 cores (measured); full: aimed at an hour
    "quick": dict(sft=48, sft_kumo=12, heldout=12, heldout_kumo=4, label=16, kumo_pairs=24,
                  kumo_pairs_val=32, dpo=12, dev=8, rl=16, xstest=16, general=16),
    "full": dict(sft=360, sft_kumo=96, heldout=64, heldout_kumo=16, label=80, kumo_pairs=96,
                 kumo_pairs_val=80, dpo=40, dev=24, rl=96, xstest=100, general=64),
}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def interleave_by(rows, key):
    """Round robin over the values of `key`, so any prefix spreads over every intent."""
    groups = {}
    for r in rows:
        groups.setdefault(r.get(key, ""), []).append(r)
    queues = [groups[k] for k in sorted(groups)]
    out = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def prompt_of(row, ident):
    m = row["messages"]
    first = next(i for i, t in enumerate(m) if t["role"] == "assistant")
    return {"id": ident, "messages": m[:first]}, {"id": ident, "messages": m[:first + 1]}


def take(rows, n, what):
    if len(rows) < n:
        sys.exit(f"prepare.py: {what} needs {n} rows, only {len(rows)} left")
    return rows[:n], rows[n:]


def main():
    split_dir, kumo_dir, redteam_dir, data_dir, out, mode = sys.argv[1:7]
    n = SIZES[mode]
    bitext_train = interleave_by(read_jsonl(f"{split_dir}/bitext/train.jsonl"), "intent")
    bitext_val = interleave_by(read_jsonl(f"{split_dir}/bitext/val.jsonl"), "intent")
    kumo_train = [r for r in read_jsonl(f"{split_dir}/kumo/train.jsonl") if r.get("lang") == "en"]
    kumo_val = [r for r in read_jsonl(f"{split_dir}/kumo/val.jsonl") if r.get("lang") == "en"]

    sft, rest = take(bitext_train, n["sft"], "SFT")
    sft += take(kumo_train, n["sft_kumo"], "SFT (Kumo)")[0]
    write_jsonl(f"{out}/sft.jsonl", sft)

    heldout = take(bitext_val, n["heldout"], "held-out")[0] + take(kumo_val, n["heldout_kumo"], "held-out (Kumo)")[0]
    write_jsonl(f"{out}/heldout.jsonl", heldout)
    write_jsonl(f"{out}/heldout_prompts.jsonl", [prompt_of(r, f"heldout-{i + 1}")[0] for i, r in enumerate(heldout)])

    label, rest = take(rest, n["label"], "labeling")
    write_jsonl(f"{out}/label_prompts.jsonl", [prompt_of(r, f"label-{i + 1}")[0] for i, r in enumerate(label)])
    write_jsonl(f"{out}/label_references.jsonl", label)

    pairs = [p for p in read_jsonl(f"{kumo_dir}/preferences.jsonl") if p.get("lang") == "en"]
    kept, pairs = take(pairs[::2], n["kumo_pairs"], "Kumo pairs")  # every other: spread over kinds
    write_jsonl(f"{out}/kumo_pairs.jsonl", kept)
    val_pairs = [p for p in read_jsonl(f"{kumo_dir}/preferences.jsonl") if p.get("lang") == "en"][1::2]
    write_jsonl(f"{out}/kumo_pairs_val.jsonl", take(val_pairs, n["kumo_pairs_val"], "Kumo held-out pairs")[0])

    dpo, rest = take(rest, n["dpo"], "DPO")
    dev, rest = take(rest, n["dev"], "development")
    write_jsonl(f"{out}/dpo_prompts.jsonl", [prompt_of(r, f"dpo-{i + 1}")[0] for i, r in enumerate(dpo)])
    write_jsonl(f"{out}/dpo_references.jsonl", [prompt_of(r, f"dpo-{i + 1}")[1] for i, r in enumerate(dpo)])
    write_jsonl(f"{out}/dev_prompts.jsonl", [prompt_of(r, f"dev-{i + 1}")[0] for i, r in enumerate(dev)])

    rl, rest = take(rest, n["rl"], "RLOO")
    redteam = [r for r in read_jsonl(f"{redteam_dir}/redteam_train.jsonl") if r["messages"][-1]["content"].isascii()]
    rl_prompts = [prompt_of(r, f"rl-{i + 1}")[0] for i, r in enumerate(rl)]
    # The red-team prompts twice over (about a third of the prompts): the safety term is seen every step.
    for rep in range(2):
        rl_prompts += [dict(r, id=f"{r['id']}-x{rep + 1}") for r in redteam]
    write_jsonl(f"{out}/rl_prompts.jsonl", rl_prompts)
    write_jsonl(f"{out}/redteam_eval.jsonl",
                [r for r in read_jsonl(f"{redteam_dir}/redteam_eval.jsonl") if r["messages"][-1]["content"].isascii()])

    with open(f"{data_dir}/safety_xstest_overrefusal/xstest_prompts.csv", encoding="utf-8") as f:
        safe = [r for r in csv.DictReader(f) if r["label"] == "safe"]
    step = max(1, len(safe) // n["xstest"])  # spread over XSTest's prompt types
    write_jsonl(f"{out}/xstest_safe.jsonl", [{"id": f"xstest-{r['id']}", "messages": [
        {"role": "user", "content": r["prompt"]}]} for r in safe[::step][:n["xstest"]]])

    alpaca = json.load(open(f"{data_dir}/llamafactory_sft/alpaca_en_demo.json", encoding="utf-8"))
    general = []
    for r in alpaca[::-1]:  # from the end: a stable, arbitrary choice
        if len(general) == n["general"]:
            break
        user = (r["instruction"] + ("\n\n" + r["input"] if r.get("input") else "")).strip()
        if user and r["output"].strip():
            general.append({"messages": [{"role": "user", "content": user},
                                         {"role": "assistant", "content": r["output"]}]})
    write_jsonl(f"{out}/general.jsonl", general)
    print(f"data: {len(sft)} SFT conversations, {len(heldout)} held-out, {len(label)} labeling prompts, "
          f"{len(kept)} Kumo pairs (+{n['kumo_pairs_val']} held out), {len(dpo)} DPO and {len(dev)} "
          f"development prompts, {len(rl_prompts)} RLOO prompts, {n['xstest']} XSTest safe prompts, "
          f"{len(general)} general conversations")


if __name__ == "__main__":
    main()
