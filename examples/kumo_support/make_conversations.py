#!/usr/bin/env python3
"""Writes conversations.jsonl (OpenAI chat format) from kumo_facts.py.

Every question of every topic becomes a conversation; a seeded choice adds a system prompt,
a greeting or a thank-you follow-up, the way real support logs vary. Deterministic: the same
facts always give the same file, so the committed file can be checked with
`make_conversations.py --check`.
"""
import json
import random
import sys
from pathlib import Path

from kumo_facts import (GREETINGS_EN, GREETINGS_JA, PRODUCT_QUESTIONS, PRODUCTS, SYSTEM_EN,
                        SYSTEM_JA, THANKS, TOPICS)

HERE = Path(__file__).resolve().parent


def questions_and_answers():
    for topic, en_qs, en_a, ja_qs, ja_a in TOPICS:
        for q in en_qs:
            yield topic, "en", q, en_a
        for q in ja_qs:
            yield topic, "ja", q, ja_a
    for model, en, ja, price, w_en, w_ja, what_en, what_ja in PRODUCTS:
        fields = dict(model=model, en=en, ja=ja, price=price, warranty_en=w_en, warranty_ja=w_ja,
                      what_en=what_en, what_ja=what_ja)
        for topic, en_qs, en_a, ja_qs, ja_a in PRODUCT_QUESTIONS:
            for q in en_qs:
                yield f"{topic}_{model}", "en", q.format(**fields), en_a.format(**fields)
            for q in ja_qs:
                yield f"{topic}_{model}", "ja", q.format(**fields), ja_a.format(**fields)


def conversation(rng, topic, lang, question, answer):
    greetings, system, thanks = ((GREETINGS_EN, SYSTEM_EN, THANKS[0]) if lang == "en" else
                                 (GREETINGS_JA, SYSTEM_JA, THANKS[1]))
    messages = []
    if rng.random() < 0.5:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": rng.choice(greetings) + question})
    messages.append({"role": "assistant", "content": answer})
    if rng.random() < 0.2:
        messages.append({"role": "user", "content": thanks[0]})
        messages.append({"role": "assistant", "content": thanks[1]})
    return {"messages": messages, "topic": topic, "lang": lang}


def render():
    rng = random.Random(20261128)
    lines = []
    for topic, lang, question, answer in questions_and_answers():
        variants = 2 if rng.random() < 0.5 else 1
        seen = set()
        for _ in range(variants):
            conv = conversation(rng, topic, lang, question, answer)
            key = json.dumps(conv, ensure_ascii=False)
            if key not in seen:
                seen.add(key)
                lines.append(key)
    return "".join(line + "\n" for line in lines)


def write_or_check(out, text, what):
    """Writes `text` to `out`, or with --check fails when the committed file differs."""
    if "--check" in sys.argv[1:]:
        if out.read_text(encoding="utf-8") != text:
            sys.exit(f"{out} is stale: run {Path(sys.argv[0]).name}")
        return
    out.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} {what} to {out}")


def main():
    write_or_check(HERE / "conversations.jsonl", render(), "conversations")


if __name__ == "__main__":
    main()
