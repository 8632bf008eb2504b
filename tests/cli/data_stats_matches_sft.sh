#!/usr/bin/env bash
# `chosei data stats` counts what `chosei sft` trains on: on a base model without chat
# tokens (stories260K) it extends the tokenizer as sft does instead of failing, and for a
# file with "weight": 0 assistant turns both report the same tokens and labeled tokens.
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
for i in $(seq 1 12); do
  printf '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Where is order %d?"},' "$i"
  printf '{"role":"assistant","content":"Let me look that up for you, one moment.","weight":0},'
  printf '{"role":"user","content":"Thanks."},{"role":"assistant","content":"Order %d left the warehouse today."}]}\n' "$i"
done >"$WORK/weighted.jsonl"
sed 's/,"weight":0//' "$WORK/weighted.jsonl" >"$WORK/unweighted.jsonl"

field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
"$CHOSEI" data stats "$WORK/weighted.jsonl" --tokenizer "$BASE" --max-seq-len 256 --json >"$WORK/stats.json"
"$CHOSEI" data stats "$WORK/unweighted.jsonl" --tokenizer "$BASE" --max-seq-len 256 --json >"$WORK/stats_unweighted.json"
stats_tokens=$(field "$WORK/stats.json" tokens_per_epoch | cut -d. -f1)
stats_labeled=$(field "$WORK/stats.json" assistant_tokens_per_epoch | cut -d. -f1)
unweighted_labeled=$(field "$WORK/stats_unweighted.json" assistant_tokens_per_epoch | cut -d. -f1)
added=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["added_chat_tokens"]))' "$WORK/stats.json")

"$CHOSEI" sft --set model="$BASE" --set train="$WORK/weighted.jsonl" --set out="$WORK/run" \
  --set max_steps=1 --set max_seq_len=256 --set batch_size=4 --threads 1 2>"$WORK/sft.log"
line=$(grep "^$WORK/weighted.jsonl: " "$WORK/sft.log")
sft_tokens=$(echo "$line" | sed -E 's/.*\(([0-9]+) tokens, ([0-9]+) labeled\).*/\1/')
sft_labeled=$(echo "$line" | sed -E 's/.*\(([0-9]+) tokens, ([0-9]+) labeled\).*/\2/')
sft_added=$(sed -nE 's/^added ([0-9]+) chat tokens.*/\1/p' "$WORK/sft.log")
echo "data stats: $stats_tokens tokens, $stats_labeled labeled, $added chat tokens added"
echo "sft:        $sft_tokens tokens, $sft_labeled labeled, $sft_added chat tokens added"
[ "$stats_tokens" = "$sft_tokens" ] && [ "$stats_labeled" = "$sft_labeled" ] && [ "$added" = "$sft_added" ] ||
  { echo "data stats and sft disagree"; exit 1; }
[ "$stats_labeled" -lt "$unweighted_labeled" ] ||
  { echo "weight 0 turns were counted as labeled ($stats_labeled vs $unweighted_labeled without weights)"; exit 1; }
echo "1 passed, 0 failed"
