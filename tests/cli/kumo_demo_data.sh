#!/usr/bin/env bash
# The demo domain's data: the committed conversations are what the fact table generates,
# they pass validation, and at least 300 survive cleaning in both languages.
set -euo pipefail
CHOSEI="$1"
K="$(cd "$(dirname "$0")/../../examples/kumo_support" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
/usr/bin/python3 "$K/make_conversations.py" --check
/usr/bin/python3 "$K/make_preferences.py" --check
"$CHOSEI" data validate "$K/preferences.jsonl" >/dev/null
"$CHOSEI" data validate "$K/conversations.jsonl" >/dev/null
"$CHOSEI" data clean "$K/conversations.jsonl" --out "$WORK/clean.jsonl" >/dev/null
"$CHOSEI" data split --val 0.1 --seed 1 --stratify lang "$WORK/clean.jsonl" --out-dir "$WORK/split" >/dev/null
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def langs(name):
    rows = [json.loads(l) for l in open(f"{work}/{name}.jsonl", encoding="utf-8")]
    return rows, {r["lang"] for r in rows}
clean, clean_langs = langs("clean")
val, val_langs = langs("split/val")
assert len(clean) >= 300, f"only {len(clean)} conversations survive cleaning"
assert clean_langs == {"en", "ja"} and val_langs == {"en", "ja"}, (clean_langs, val_langs)
print(f"{len(clean)} conversations after cleaning, {len(val)} held out, languages {sorted(clean_langs)}")
PY
