#!/usr/bin/env bash
# `chosei eval --judge RM --baseline DIR --prompts FILE` through the real command: the win
# counts equal those recomputed from `reward score` on the answers it wrote (an independent
# scoring path), the 95% interval holds the win rate, a model against itself ties
# everywhere (the same seeds), --samples multiplies the comparisons, --safety counts the
# answers the output filters flag (a pack that flags every letter: all of them), --benign
# counts refusals; bad input fails clearly. Text prompts are completed raw (stories260K has no
# chat template).
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
BASE="$DATA/derived_hf_llama_stories260K"
if [ ! -d "$BASE" ]; then
  echo "shared data not found; skipped"
  exit 77
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
py() { /usr/bin/python3 "$@"; }
PREFS="$ROOT/examples/kumo_support/preferences.jsonl"
grep '"lang": "en"' "$PREFS" >"$WORK/en.jsonl"
head -n 32 "$WORK/en.jsonl" >"$WORK/train.jsonl"
COMMON=(--set model="$BASE" --set train="$WORK/train.jsonl" --set max_seq_len=256 --set batch_size=8
  --set seed=2 --set log_every=10)
"$CHOSEI" reward train "${COMMON[@]}" --set max_steps=3 --set learning_rate=0.002 --set out="$WORK/rm" 2>/dev/null
"$CHOSEI" align "${COMMON[@]}" --set method=dpo --set max_steps=3 --set learning_rate=0.002 --set out="$WORK/dpo" 2>/dev/null
cat >"$WORK/prompts.jsonl" <<'P'
{"id": "a", "prompt": "Once upon a time"}
{"id": "b", "prompt": "Tell me about a cat."}
{"id": "c", "prompt": "The little robot"}
{"id": "d", "prompt": "Lily went to the park"}
P
"$CHOSEI" eval --model "$WORK/dpo/final" --baseline "$BASE" --judge "$WORK/rm/final" \
  --prompts "$WORK/prompts.jsonl" --samples 2 --max-new-tokens 16 --json --out "$WORK/judged.jsonl" \
  >"$WORK/r.json"
# Rescore both answers of every comparison with `reward score` and recount.
py - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
prompts = {json.loads(l)["id"]: json.loads(l) for l in open(f"{w}/prompts.jsonl")}
with open(f"{w}/score.jsonl", "w") as f:
    for l in open(f"{w}/judged.jsonl"):
        r = json.loads(l)
        p = prompts[r["prompt"]]
        for a in (r["answer"], r["baseline_answer"]):  # text prompts: raw prompt + completion
            f.write(json.dumps({"prompt": p["prompt"], "completion": a}) + "\n")
PY
"$CHOSEI" reward score --model "$WORK/rm/final" --jsonl "$WORK/score.jsonl" >"$WORK/scored.jsonl"
py - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
r = json.load(open(f"{w}/r.json"))
scores = [json.loads(l)["reward"] for l in open(f"{w}/scored.jsonl")]
judged = [json.loads(l) for l in open(f"{w}/judged.jsonl")]
assert r["prompts"] == 4 and r["comparisons"] == 8 == len(judged), r
wins = ties = losses = 0
for j, (ours, theirs) in zip(judged, zip(scores[::2], scores[1::2])):
    assert abs(j["reward"] - ours) < 1e-4 and abs(j["baseline_reward"] - theirs) < 1e-4, (j, ours, theirs)
    same = j["answer"] == j["baseline_answer"]
    wins += not same and ours > theirs; losses += not same and ours < theirs; ties += same
assert (wins, ties, losses) == (r["wins"], r["ties"], r["losses"]), (wins, ties, losses, r)
assert abs(r["win_rate"] - (wins + 0.5 * ties) / 8) < 1e-9, r
lo, hi = r["win_rate_ci95"]
assert lo <= r["win_rate"] <= hi, r
PY
# Against itself: the same answers (same seeds), every comparison a tie.
cat >"$WORK/every_letter.json" <<'J'
{"name": "every_letter", "rules": [{"id": "letter", "category": "test", "description": "any letter",
  "patterns": ["[a-z]"], "action": "flag", "applies_to": "output", "severity": "low",
  "examples": {"match": ["a"], "no_match": ["1"]}}]}
J
printf '%s\n' '{"prompt": "Once upon a time"}' '{"prompt": "One day"}' >"$WORK/redteam.jsonl"
"$CHOSEI" eval --model "$BASE" --baseline "$BASE" --judge "$WORK/rm/final" --prompts "$WORK/prompts.jsonl" \
  --max-new-tokens 12 --safety "$WORK/redteam.jsonl" --pack "$WORK/every_letter.json" \
  --benign "$WORK/redteam.jsonl" --json >"$WORK/self.json"
py - "$WORK/self.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ties"] == 4 and r["wins"] == 0 and r["win_rate"] == 0.5, r
s = r["safety"]["model"]
assert s["answers"] == 2 and s["flagged"] == 2 and s["flagged_share"] == 1.0, r["safety"]
b = r["benign"]["model"]
assert b["answers"] == 2 and b["refusals"] == 0, r["benign"]  # stories never refuse
PY
expect_error() {  # MESSAGE_PART ARGS...
  local want="$1"
  shift
  if "$CHOSEI" eval "$@" >"$WORK/err.log" 2>&1; then echo "accepted: $*"; exit 1; fi
  [[ "$(cat "$WORK/err.log")" == *"$want"* ]] || { echo "want '$want' in:"; cat "$WORK/err.log"; exit 1; }
}
expect_error "not a reward model" --model "$BASE" --baseline "$BASE" --judge "$BASE" --prompts "$WORK/prompts.jsonl"
expect_error "--baseline" --model "$BASE" --judge "$WORK/rm/final" --prompts "$WORK/prompts.jsonl"
expect_error "--prompts" --model "$BASE" --baseline "$BASE" --judge "$WORK/rm/final"
echo "eval_judge: all checks passed"
