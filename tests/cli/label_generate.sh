#!/usr/bin/env bash
# `chosei label create --prompts FILE --model NAME=DIR ...`: items generated in batches, each
# answer stored with its model, seed and sampling settings; the batched answers equal
# `chosei generate` run alone with the same seed (greedy and sampled); one model sampled
# twice per pair (--samples 2) gives distinct seeds and answers; bad input fails naming the
# file and line and leaves the database as it was; decisions on generated items rank the
# models (the leaderboard).
set -euo pipefail
CHOSEI="$1"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
py() { /usr/bin/python3 "$@"; }

for i in $(seq 1 12); do
  echo "{\"messages\":[{\"role\":\"user\",\"content\":\"Where is order $i?\"},{\"role\":\"assistant\",\"content\":\"Order $i ships on Monday.\"}]}"
done >"$WORK/corpus.jsonl"
"$CHOSEI" tokenizer train --vocab-size 300 --out "$WORK/tok" "$WORK/corpus.jsonl" >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/m1" --seed 3 >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/m2" --seed 4 >/dev/null
cat >"$WORK/prompts.jsonl" <<'P'
{"id": "greet", "prompt": "Hello there"}
{"id": "order", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is order 7?"}]}
{"prompt": "Can I return a kettle?"}
{"id": 44, "prompt": [{"role": "user", "content": "Refund please"}]}
P

# Two models: a from big, b from small, in prompt order, ids kept or made up.
"$CHOSEI" label create --db "$WORK/l.db" --name duel --prompts "$WORK/prompts.jsonl" \
  --model big="$WORK/m1" --model small="$WORK/m2" --temperature 1 --top-p 0.9 --max-new-tokens 12 \
  --batch 3 --overlap 2 --seed 8 >"$WORK/create.log"
cat "$WORK/create.log"
q() { py -c "import json,sqlite3,sys; print(json.dumps(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()))" "$WORK/l.db" "$1"; }
ROWS=$(q "SELECT i.external_id, n.slot, n.model, n.seed, n.sampling, n.content FROM answers n JOIN items i ON i.id = n.item_id JOIN sessions s ON s.id = i.session_id WHERE s.name = 'duel' ORDER BY i.position, n.slot")
py - "$ROWS" "$WORK" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])
assert [r[0] for r in rows[::2]] == ["greet", "order", "line-3", "44"], rows
assert [r[2] for r in rows] == ["big", "small"] * 4, rows
for r in rows:
    s = json.loads(r[4])
    assert s["temperature"] == 1 and s["top_p"] == 0.9 and s["max_new_tokens"] == 12 and s["model_dir"].endswith(("m1", "m2")), s
    assert s["finish_reason"] in ("stop", "length") and s["completion_tokens"] <= 12, s
    assert isinstance(r[3], int), r
json.dump(rows, open(sys.argv[2] + "/duel.json", "w"))
PY
# The batched answer equals one decoded alone with its recorded seed (text prompts are
# completed raw, as `generate` without --chat does).
for pick in "0 m1 Hello there" "1 m2 Hello there" "4 m1 Can I return a kettle?" "5 m2 Can I return a kettle?"; do
  read -r row model prompt <<<"$pick"
  seed=$(py -c "import json,sys; print(json.load(open(sys.argv[1]))[int(sys.argv[2])][3])" "$WORK/duel.json" "$row")
  alone=$("$CHOSEI" generate --model "$WORK/$model" --prompt "$prompt" --temperature 1 \
    --top-p 0.9 --seed "$seed" --max-new-tokens 12 2>/dev/null)
  batched=$(py -c "import json,sys; print(json.load(open(sys.argv[1]))[int(sys.argv[2])][5])" "$WORK/duel.json" "$row")
  [ "$alone" = "$batched" ] || { echo "row $row: batched '$batched' != alone '$alone'"; exit 1; }
done

# One model sampled twice per pair, two pairs per prompt: distinct seeds, recorded.
"$CHOSEI" label create --db "$WORK/l.db" --name self --prompts "$WORK/prompts.jsonl" \
  --model big="$WORK/m1" --samples 2 --temperature 0.9 --top-p 0.95 --max-new-tokens 10 --seed 21 \
  >"$WORK/self.log"
SELF=$(q "SELECT i.external_id, n.slot, n.seed, n.content, n.model FROM answers n JOIN items i ON i.id = n.item_id JOIN sessions s ON s.id = i.session_id WHERE s.name = 'self' ORDER BY i.position, n.slot")
py - "$SELF" "$WORK" <<'PY'
import json, sys
rows = json.loads(sys.argv[1])
ids = [r[0] for r in rows[::2]]
assert ids[:4] == ["greet#1", "greet#2", "order#1", "order#2"], ids
seeds = [r[2] for r in rows]
assert len(set(seeds)) == len(seeds), seeds
assert all(r[4] == "big" for r in rows)
for a, b in zip(rows[::2], rows[1::2]):
    assert a[3] != b[3], (a, b)
json.dump(rows, open(sys.argv[2] + "/self.json", "w"))
PY
# A sampled answer equals `generate` alone with its recorded seed.
SEED=$(py -c "import json,sys; print(json.load(open(sys.argv[1]))[1][2])" "$WORK/self.json")
alone=$("$CHOSEI" generate --model "$WORK/m1" --prompt "Hello there" --temperature 0.9 \
  --top-p 0.95 --seed "$SEED" --max-new-tokens 10 2>/dev/null)
batched=$(py -c "import json,sys; print(json.load(open(sys.argv[1]))[1][3])" "$WORK/self.json")
[ "$alone" = "$batched" ] || { echo "sampled: batched '$batched' != alone '$alone' (seed $SEED)"; exit 1; }

# Bad input: a clear error, a non-zero exit, the database untouched.
before=$(q "SELECT COUNT(*) FROM sessions")
expect_error() {  # MESSAGE_PART COMMAND...
  local want="$1"
  shift
  if "$@" >"$WORK/err.log" 2>&1; then echo "accepted: $*"; exit 1; fi
  [[ "$(cat "$WORK/err.log")" == *"$want"* ]] || { echo "want '$want' in:"; cat "$WORK/err.log"; exit 1; }
}
printf '{"prompt": "fine"}\n{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}]}\n' \
  >"$WORK/bad.jsonl"
expect_error "bad.jsonl:2" "$CHOSEI" label create --db "$WORK/l.db" --name bad --prompts "$WORK/bad.jsonl" \
  --model big="$WORK/m1" --model small="$WORK/m2"
expect_error "temperature" "$CHOSEI" label create --db "$WORK/l.db" --name bad --prompts "$WORK/prompts.jsonl" \
  --model big="$WORK/m1" --temperature 0
expect_error "already exists" "$CHOSEI" label create --db "$WORK/l.db" --name duel --prompts "$WORK/prompts.jsonl" \
  --model big="$WORK/m1" --model small="$WORK/m2"
expect_error "NAME=DIR" "$CHOSEI" label create --db "$WORK/l.db" --name bad --prompts "$WORK/prompts.jsonl" \
  --model "$WORK/m1"
[ "$(q "SELECT COUNT(*) FROM sessions")" = "$before" ]

# Decisions on generated items rank the models: big wins 7 of 8, so it leads.
{
  for id in greet order line-3 44; do
    echo "{\"item\":\"$id\",\"annotator\":\"ana\",\"choice\":\"a\"}"
    echo "{\"item\":\"$id\",\"annotator\":\"ben\",\"choice\":\"$([ $id = 44 ] && echo b || echo a)\"}"
  done
} >"$WORK/votes.jsonl"
"$CHOSEI" label import --db "$WORK/l.db" --session duel --labels "$WORK/votes.jsonl" >/dev/null
"$CHOSEI" label stats --db "$WORK/l.db" --session duel --json >"$WORK/stats.json"
py - "$WORK/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
board = s["leaderboard"]
assert [m["model"] for m in board] == ["big", "small"], board
assert board[0]["wins"] == 7 and board[0]["losses"] == 1, board
assert board[0]["ci95"][0] <= board[0]["rating"] <= board[0]["ci95"][1], board
PY
echo "label_generate: all checks passed"
