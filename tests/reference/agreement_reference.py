#!/usr/bin/env python3
"""`chosei label create|import|stats --json` against independent implementations on random
label sets with missing ratings: scikit-learn's cohen_kappa_score for every annotator pair,
statsmodels' fleiss_kappa on the items every annotator labeled, nltk's AnnotationTask.alpha
(nominal) and a direct transcription of Krippendorff (2011) for the ordinal alpha.
Also: importing the same decisions again stores nothing twice; a bad line names file:line.

usage: agreement_reference.py CHOSEI
"""
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

try:
    from nltk.metrics.agreement import AnnotationTask
    from nltk.metrics.distance import binary_distance
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import fleiss_kappa
except ImportError as e:
    print(f"{e.name} is not installed (scripts/setup installs python3-sklearn, -statsmodels, -nltk); skipped")
    sys.exit(77)

CHOSEI = sys.argv[1]
CHOICES = ["a", "b", "tie", "both_bad"]
ORDER = {"a": 1, "tie": 2, "b": 3}


def run(*args):
    return subprocess.run([CHOSEI, *args], check=True, capture_output=True, text=True).stdout


def ordinal_alpha(units):
    """Krippendorff (2011) ordinal alpha; units: lists of ranks (missing omitted)."""
    units = [u for u in units if len(u) >= 2]
    values = sorted({v for u in units for v in u})
    o = defaultdict(float)
    for u in units:
        for i, j in itertools.permutations(range(len(u)), 2):
            o[(u[i], u[j])] += 1 / (len(u) - 1)
    nc = {c: sum(o[(c, k)] for k in values) for c in values}
    n = sum(nc.values())

    def d2(c, k):
        lo, hi = sorted((values.index(c), values.index(k)))
        return (sum(nc[values[g]] for g in range(lo, hi + 1)) - (nc[c] + nc[k]) / 2) ** 2

    do = sum(o[(c, k)] * d2(c, k) for c in values for k in values) / n
    de = sum(nc[c] * nc[k] * d2(c, k) for c in values for k in values) / (n * (n - 1))
    return 1 - do / de


def close(a, b, what):
    if a is None or b is None or abs(a - b) > 1e-9:
        sys.exit(f"{what}: chosei {a} against the reference {b}")


def one_round(work, seed):
    rng = random.Random(seed)
    items, annotators = 40, ["ana", "ben", "chi", "dev"]
    with open(f"{work}/pairs.jsonl", "w") as f:
        for i in range(items):
            f.write(json.dumps({"id": f"q{i}", "prompt": f"question {i}", "chosen": f"good {i}",
                                "rejected": f"bad {i}"}) + "\n")
    labels = {}
    for i in range(items):
        truth = rng.choice(CHOICES)
        for who in annotators:
            if rng.random() < 0.75:  # missing ratings
                labels[(f"q{i}", who)] = truth if rng.random() < 0.6 else rng.choice(CHOICES)
    db = f"{work}/labels{seed}.db"
    run("label", "create", "--db", db, "--name", "s", "--pairs", f"{work}/pairs.jsonl", "--overlap", "4")
    with open(f"{work}/labels.jsonl", "w") as f:
        for (item, who), c in labels.items():
            f.write(json.dumps({"item": item, "annotator": who, "choice": c,
                                "client_id": f"{item}/{who}"}) + "\n")
    run("label", "import", "--db", db, "--labels", f"{work}/labels.jsonl")
    again = run("label", "import", "--db", db, "--labels", f"{work}/labels.jsonl")
    assert again.startswith("imported 0 of"), again
    got = json.loads(run("label", "stats", "--db", db, "--json"))
    assert got["labels"] == len(labels) and got["items"] == items, got

    for x, y in itertools.combinations(annotators, 2):
        shared = [i for (i, w) in labels if w == x and (i, y) in labels]
        ref = cohen_kappa_score([labels[(i, x)] for i in shared], [labels[(i, y)] for i in shared])
        close(got["cohen_kappa"][f"{x}|{y}"], ref, f"Cohen's kappa {x}|{y}")
    by_item = defaultdict(dict)
    for (i, w), c in labels.items():
        by_item[i][w] = c
    complete = [[Counter(v.values())[c] for c in CHOICES] for v in by_item.values() if len(v) == 4]
    close(got["fleiss_kappa"], fleiss_kappa(complete), "Fleiss' kappa")
    task = AnnotationTask(data=[(w, i, c) for (i, w), c in labels.items()], distance=binary_distance)
    close(got["krippendorff_alpha"]["nominal"], task.alpha(), "Krippendorff's alpha (nominal)")
    ranks = [[ORDER[c] for c in v.values() if c in ORDER] for v in by_item.values()]
    close(got["krippendorff_alpha"]["ordinal"], ordinal_alpha(ranks), "Krippendorff's alpha (ordinal)")
    for who in annotators:
        agree = n = 0
        for v in by_item.values():
            others = Counter(c for w, c in v.items() if w != who)
            if who not in v or not others:
                continue
            top = others.most_common()
            if len(top) > 1 and top[0][1] == top[1][1]:
                continue
            n += 1
            agree += v[who] == top[0][0]
        close(got["agreement_with_majority"][who], agree / n, f"agreement of {who} with the majority")
    return got


def main():
    with tempfile.TemporaryDirectory() as work:
        for seed in (1, 2, 3):
            got = one_round(work, seed)
        print("fleiss", round(got["fleiss_kappa"], 4), "alpha", got["krippendorff_alpha"])
        with open(f"{work}/bad.jsonl", "w") as f:
            f.write('{"item": "q1", "annotator": "ana", "choice": "a"}\n{"item": "q2", "annotator": "ana", "choice": "left"}\n')
        r = subprocess.run([CHOSEI, "label", "import", "--db", f"{work}/labels1.db", "--labels", f"{work}/bad.jsonl"],
                           capture_output=True, text=True)
        assert r.returncode != 0 and "bad.jsonl:2" in r.stderr and "left" in r.stderr, r.stderr
        print("agreement statistics match sklearn, statsmodels and nltk on 3 random sets")


if __name__ == "__main__":
    main()
