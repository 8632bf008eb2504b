#!/usr/bin/env python3
"""Peer for chosei's filter benchmark: the same rule packs (filters/packs/*.json) applied
pattern by pattern with Python's `re`, the way regex-recognizer libraries (Presidio's
PatternRecognizer) scan: NFKC + casefold the text, then for each input rule and each of its
patterns re.finditer, validators on the candidates.

usage: filter_peer.py PACK_DIR FILE -> "check_mb_per_s <x> lines <n> matches <m>"
"""
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

IGNORABLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x202A, 0x202B, 0x202C,
                           0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069])


def luhn(s):
    d = [int(c) for c in s if c.isdigit()]
    if not 12 <= len(d) <= 19:
        return False
    total = 0
    for i, v in enumerate(reversed(d)):
        if i % 2:
            v *= 2
            v -= 9 if v > 9 else 0
        total += v
    return total % 10 == 0


def iban(s):
    s = s.replace(" ", "").replace("-", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1 if s.isalnum() else False


def my_number(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 12:
        return False
    total = sum(d[11 - n] * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    r = total % 11
    return (0 if r <= 1 else 11 - r) == d[11]


def ssn(s):
    d = "".join(c for c in s if c.isdigit())
    return len(d) == 9 and d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000"


def ipv4(s):
    parts = s.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) <= 255 for p in parts)


# The spec recognizers map to their checksum parts (the peer has no issuer table, IBAN
# registry or libphonenumber: it does less work per phone candidate than chosei).
VALIDATORS = {"luhn": luhn, "iban_mod97": iban, "jp_my_number": my_number, "us_ssn": ssn, "ipv4": ipv4,
              "payment_card": luhn, "iban": iban}


def main():
    pack_dir, file = Path(sys.argv[1]), sys.argv[2]
    rules = []
    for name in ["pii", "secrets", "prompt_injection", "harmful", "profanity"]:
        for r in json.loads((pack_dir / f"{name}.json").read_text(encoding="utf-8"))["rules"]:
            if r.get("applies_to", "both") in ("input", "both"):
                rules.append(([re.compile(p) for p in r["patterns"]], VALIDATORS.get(r.get("validator", ""))))
    lines = [l for l in open(file, encoding="utf-8", errors="replace").read().split("\n") if l.strip()]
    size = sum(len(l.encode("utf-8")) for l in lines)
    matches = 0
    t0 = time.perf_counter()
    for line in lines:
        text = unicodedata.normalize("NFKC", line.translate(IGNORABLE)).casefold()
        for patterns, validate in rules:
            for p in patterns:
                for m in p.finditer(text):
                    if validate is None or validate(m.group(0)):
                        matches += 1
    s = time.perf_counter() - t0
    print(f"check_mb_per_s {size / s / 1e6} lines {len(lines)} matches {matches}")


if __name__ == "__main__":
    main()
