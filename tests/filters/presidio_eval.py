#!/usr/bin/env python3
"""Per-entity precision and recall of chosei's pii pack on Presidio's synthetic PII sentences
(../shared/data/pii_presidio_synth/generated_small.json), with exact and overlapping spans.

usage: presidio_eval.py CHOSEI DATA_DIR [--min-recall ENTITY=R]... [--min-precision P]
Prints a table; exits 1 when an entity's overlap recall is below its --min-recall, or an
entity with predictions has an overlap precision below --min-precision.
Only the entity types the pii pack covers are scored; offsets are code points on both sides.
"""
import json
import subprocess
import sys
import tempfile
from collections import defaultdict

# Presidio entity type -> the pii pack rules that recognize it.
COVERED = {
    "EMAIL_ADDRESS": {"email"},
    "CREDIT_CARD": {"credit_card"},
    "IP_ADDRESS": {"ipv4", "ipv6"},
    "IBAN_CODE": {"iban"},
    "US_SSN": {"us_ssn"},
    "PHONE_NUMBER": {"phone_number"},
}


def main():
    chosei, data_dir = sys.argv[1], sys.argv[2]
    min_recall = {}
    min_precision = float(sys.argv[sys.argv.index("--min-precision") + 1]) if "--min-precision" in sys.argv else 0.0
    for i, a in enumerate(sys.argv):
        if a == "--min-recall":
            k, v = sys.argv[i + 1].split("=")
            min_recall[k] = float(v)
    samples = json.load(open(f"{data_dir}/pii_presidio_synth/generated_small.json", encoding="utf-8"))
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as f:
        for s in samples:
            f.write(json.dumps({"text": s["full_text"]}, ensure_ascii=False) + "\n")
        path = f.name
    out = subprocess.run([chosei, "filter", "check", "--pack", "pii", "--jsonl", path],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    assert len(out) == len(samples), (len(out), len(samples))
    rule_entity = {rule: ent for ent, rules in COVERED.items() for rule in rules}
    counts = defaultdict(lambda: defaultdict(int))
    for sample, line in zip(samples, out):
        found = [(m["start"], m["end"], rule_entity[m["rule"]]) for m in json.loads(line)["matches"]
                 if m["rule"] in rule_entity]
        gold = [(s["start_position"], s["end_position"], s["entity_type"]) for s in sample["spans"]
                if s["entity_type"] in COVERED]
        for ent in COVERED:
            g = [(a, b) for a, b, e in gold if e == ent]
            p = [(a, b) for a, b, e in found if e == ent]
            c = counts[ent]
            c["gold"] += len(g)
            c["pred"] += len(p)
            c["tp_exact"] += sum(1 for x in g if x in p)
            c["tp_overlap"] += sum(1 for a, b in g if any(x < b and a < y for x, y in p))
            c["pred_exact"] += sum(1 for x in p if x in g)
            c["pred_overlap"] += sum(1 for x, y in p if any(a < y and x < b for a, b in g))
    print(f"{'entity':<15}{'gold':>6}{'pred':>6}{'P exact':>9}{'R exact':>9}{'P overlap':>11}{'R overlap':>11}")
    failed = []
    for ent in COVERED:
        c = counts[ent]
        ratio = lambda a, b: a / b if b else float("nan")
        r_overlap = ratio(c["tp_overlap"], c["gold"])
        print(f"{ent:<15}{c['gold']:>6}{c['pred']:>6}{ratio(c['pred_exact'], c['pred']):>9.3f}"
              f"{ratio(c['tp_exact'], c['gold']):>9.3f}{ratio(c['pred_overlap'], c['pred']):>11.3f}"
              f"{r_overlap:>11.3f}")
        if ent in min_recall and c["gold"] and r_overlap < min_recall[ent]:
            failed.append(f"{ent} recall {r_overlap:.3f} < {min_recall[ent]}")
        p_overlap = ratio(c["pred_overlap"], c["pred"])
        if c["pred"] and p_overlap < min_precision:
            failed.append(f"{ent} precision {p_overlap:.3f} < {min_precision}")
    print("(entities absent from the file have no gold spans: n/a)")
    if failed:
        sys.exit("; ".join(failed))


if __name__ == "__main__":
    main()
