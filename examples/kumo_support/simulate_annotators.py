#!/usr/bin/env python3
"""Three simulated Kumo support agents label a session through chosei's labeling JSON API,
the way the page does (next, submit by screen side, with a client id and the time taken).

Each agent knows the reference answer of the held-out conversation the prompt came from and
prefers the answer closer to it (character-bigram F1, which works for English and Japanese
alike); they call a tie when the two are about equally close and "both bad" when neither is
close. They differ the way people do: ana is careful, ben errs more often, chi errs often and,
when unsure, picks the answer on the left (a position bias the statistics should show).

usage: simulate_annotators.py BASE_URL ANNOTATORS_FILE REFERENCE_JSONL
"""
import json
import random
import sys
import urllib.request
import uuid
from collections import Counter

PROFILES = {"ana": (0.05, False), "ben": (0.15, False), "chi": (0.30, True)}


def bigrams(text):
    t = " ".join(text.split())
    return Counter(t[i:i + 2] for i in range(len(t) - 1))


def f1(answer, reference):
    a, r = bigrams(answer), bigrams(reference)
    common = sum((a & r).values())
    if not common:
        return 0.0
    p, q = common / sum(a.values()), common / sum(r.values())
    return 2 * p * q / (p + q)


def call(base, key, route, body):
    req = urllib.request.Request(base + "/label/api/" + route, data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + key,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def judge(item, reference, error_rate, left_bias, rng):
    left, right = f1(item["left"], reference), f1(item["right"], reference)
    if rng.random() < error_rate:  # a slip: any judgment, or the left one when biased
        return "left" if left_bias else rng.choice(["left", "right", "tie", "both_bad"])
    if max(left, right) < 0.15:
        return "both_bad"
    if abs(left - right) < 0.03:
        return "tie"
    return "left" if left > right else "right"


def main():
    base, annotators_file, reference_file = sys.argv[1:4]
    keys = {}
    for line in open(annotators_file, encoding="utf-8"):
        parts = line.split("#")[0].split()
        if len(parts) == 2:
            keys[parts[0]] = parts[1]
    references = {}
    for line in open(reference_file, encoding="utf-8"):
        turns = json.loads(line)["messages"]
        users = [t["content"] for t in turns if t["role"] == "user"]
        if users and turns[-1]["role"] == "assistant":
            references[users[-1]] = turns[-1]["content"]
    rng = random.Random(7)
    counts = Counter()
    # Round robin: the three work at once, as in a real session.
    active = [who for who in PROFILES if who in keys]
    while active:
        for who in list(active):
            item = call(base, keys[who], "next", {})["item"]
            if item is None:
                active.remove(who)
                continue
            prompt = [m["content"] for m in item["messages"] if m["role"] == "user"][-1]
            error_rate, left_bias = PROFILES[who]
            choice = judge(item, references.get(prompt, ""), error_rate, left_bias, rng)
            body = {"item": item["id"], "choice": choice, "client_id": str(uuid.uuid4()),
                    "seconds": round(rng.uniform(6, 40), 1)}
            if choice in ("left", "right") and rng.random() < 0.3:
                body["strength"] = 2
            call(base, keys[who], "submit", body)
            counts[who] += 1
    print("simulated labels: " + ", ".join(f"{w} {n}" for w, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
