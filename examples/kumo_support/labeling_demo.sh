#!/usr/bin/env bash
# The labeling part of scripts/demo: the fine-tuned Kumo model and the pretrained-only one
# answer held-out questions; three simulated agents label the pairs through the JSON API
# (overlap 3); agreement and the models' leaderboard are printed; the majority decisions
# are exported and train a reward model.
# usage: labeling_demo.sh CHOSEI OUT  (OUT holds the demo's data/, kumo-pretrained/, kumo-sft/)
set -euo pipefail
CHOSEI="$1"
OUT="$2"
K="$(cd "$(dirname "$0")" && pwd)"
L="$OUT/labeling"
rm -rf "$L"
mkdir -p "$L"
python3 - "$OUT/data/val.jsonl" "$L/prompts.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for n, line in enumerate(f):
        turns = json.loads(line)["messages"]
        if turns[-1]["role"] != "assistant":
            continue
        out.write(json.dumps({"id": f"val-{n + 1}", "messages": turns[:-1]}, ensure_ascii=False) + "\n")
PY
echo "$(wc -l <"$L/prompts.jsonl") held-out prompts, each answered by both models"
$CHOSEI label create --db "$L/kumo.db" --name kumo-pilot --prompts "$L/prompts.jsonl" \
  --model kumo-sft="$OUT/kumo-sft/final" --model kumo-pretrained="$OUT/kumo-pretrained/final" \
  --temperature 0.7 --top-p 0.9 --max-new-tokens 64 --batch 8 --overlap 3 --seed 1 \
  --guidelines "$K/labeling_guidelines.md"
printf 'ana demo-key-ana\nben demo-key-ben\nchi demo-key-chi\n' >"$L/annotators.txt"
$CHOSEI label serve --db "$L/kumo.db" --annotators "$L/annotators.txt" --admin-key demo-admin-key \
  --port 0 >"$L/serve.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$L/serve.log" && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on //p' "$L/serve.log")
echo "annotator page: $BASE/label   admin page: $BASE/label/admin (key demo-admin-key)"
python3 "$K/simulate_annotators.py" "$BASE" "$L/annotators.txt" "$OUT/data/val.jsonl"
kill -TERM $PID && wait $PID || true
trap - EXIT
$CHOSEI label stats --db "$L/kumo.db"
$CHOSEI label stats --db "$L/kumo.db" --json | python3 -c 'import json,sys; s=json.load(sys.stdin); b=s["leaderboard"]; sys.exit(0 if b and b[0]["model"] == "kumo-sft" else "the fine-tuned model should lead the leaderboard")'
$CHOSEI label export --db "$L/kumo.db" --format trl --out "$L/preferences.jsonl"
$CHOSEI data validate "$L/preferences.jsonl"
$CHOSEI reward train --config "$K/reward.json" --set model="$OUT/kumo-sft/final" \
  --set train="$L/preferences.jsonl" --set out="$L/reward" --set epochs=1
echo "reward model trained on the labeled export: $L/reward/final"
