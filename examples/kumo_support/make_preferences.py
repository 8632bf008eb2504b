#!/usr/bin/env python3
"""Writes preferences.jsonl (OpenAI DPO format) from kumo_facts.py: for every question the
right answer from the fact table is preferred over a worse one of three kinds, EN and JA:

  wrong_fact  the same answer with a number changed (30 days -> 14 days, a price, a warranty),
              or, for answers without numbers, the answer to a different question;
  rude        a dismissive reply, with or without the facts;
  pii_leak    the right answer followed by another customer's card number or email.

Deterministic: `make_preferences.py --check` fails when the committed file is stale.
"""
import json
import random
import re
from pathlib import Path

from make_conversations import questions_and_answers, write_or_check

HERE = Path(__file__).resolve().parent

RUDE_EN = ["Read the manual yourself.", "Not my problem.", "Ugh, you again? Figure it out.",
           "Why are you asking me? Just look it up.", "Whatever. Stop bothering us."]
RUDE_PREFIX_EN = ["Obviously, ", "As anyone could tell you: ", "Sigh. Fine. "]
RUDE_JA = ["説明書くらい自分で読んでください。", "知りません。", "またですか？自分で調べてください。",
           "そんなこと聞かないでください。", "面倒なので他を当たってください。"]
RUDE_PREFIX_JA = ["そんなの常識ですが、", "何度も言わせないでください。", "はあ、仕方ないですね。"]
LEAK_EN = ["By the way, the last customer paid with card 4111 1111 1111 1111.",
           "You can also ask Mr. Sato at sato.kenji@example.com, he had the same issue.",
           "For reference, order 8812 was paid with card 5500 0000 0000 0004, exp 04/28."]
LEAK_JA = ["ちなみに前のお客様のカード番号は4111 1111 1111 1111でした。",
           "同じ件で田中様（tanaka.yumi@example.com）にもご連絡しています。",
           "参考までに、注文8812はカード5500 0000 0000 0004（有効期限04/28）でのお支払いでした。"]


def change_a_number(rng, text):
    """The text with one number replaced by a different plausible one, or None."""
    numbers = list(re.finditer(r"\d[\d,]*", text))
    if not numbers:
        return None
    m = rng.choice(numbers)
    value = int(m.group().replace(",", ""))
    choices = [v for v in {value * 2, max(1, value // 2), value + 7, max(1, value - 3), value * 3}
               if v != value]
    new = rng.choice(sorted(choices))
    new_text = f"{new:,}" if "," in m.group() else str(new)
    return text[:m.start()] + new_text + text[m.end():]


def worse_answer(rng, kind, lang, answer, other_answers):
    if kind == "wrong_fact":
        changed = change_a_number(rng, answer)
        return changed if changed else rng.choice([a for a in other_answers if a != answer])
    if kind == "rude":
        if rng.random() < 0.5:
            return rng.choice(RUDE_EN if lang == "en" else RUDE_JA)
        return rng.choice(RUDE_PREFIX_EN if lang == "en" else RUDE_PREFIX_JA) + answer
    leak = rng.choice(LEAK_EN if lang == "en" else LEAK_JA)
    return answer + (" " if lang == "en" else "") + leak


def render():
    rng = random.Random(20261201)
    items = list(questions_and_answers())
    answers = {"en": sorted({a for _, l, _, a in items if l == "en"}),
               "ja": sorted({a for _, l, _, a in items if l == "ja"})}
    lines = []
    for topic, lang, question, answer in items:
        for kind in ("wrong_fact", "rude", "pii_leak"):
            worse = worse_answer(rng, kind, lang, answer, answers[lang])
            record = {"input": {"messages": [{"role": "user", "content": question}]},
                      "preferred_output": [{"role": "assistant", "content": answer}],
                      "non_preferred_output": [{"role": "assistant", "content": worse}],
                      "topic": topic, "lang": lang, "kind": kind}
            lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def main():
    write_or_check(HERE / "preferences.jsonl", render(), "preference pairs")


if __name__ == "__main__":
    main()
