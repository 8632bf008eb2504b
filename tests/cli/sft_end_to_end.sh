#!/usr/bin/env bash
# Issue 3's end-to-end claim through the real commands: stories260K with chat tokens added,
# fine-tuned on the Bitext customer-support CSV (column mapping, 10% held out), must lower
# the held-out assistant-token loss by at least 30% as `chosei eval` reports it. Also
# checks the run directory contract (metrics.jsonl evaluations at step 0 and every
# eval_every steps, config.json, final/).
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
if [ ! -d "$DATA/sft_customer_support_bitext" ] || [ ! -d "$DATA/derived_hf_llama_stories260K" ]; then
  echo "shared data not found; skipped"
  exit 77
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BASE="$DATA/derived_hf_llama_stories260K"
"$CHOSEI" data convert --from csv --map instruction=user --map response=assistant \
  "$DATA/sft_customer_support_bitext/Bitext_Sample_Customer_Support_Training_Dataset.csv" --out "$WORK/all.jsonl"
"$CHOSEI" data split --val 0.1 --seed 1 "$WORK/all.jsonl" --out-dir "$WORK/split"
test -s "$WORK/split/train.jsonl" && test -s "$WORK/split/val.jsonl"
# A fixed subset of the held-out split keeps the evaluation short.
head -n 120 "$WORK/split/val.jsonl" >"$WORK/val120.jsonl"
"$CHOSEI" sft --set model="$BASE" --set train="$WORK/split/train.jsonl" --set eval="$WORK/val120.jsonl" \
  --set out="$WORK/run" --set max_steps=40 --set learning_rate=0.003 --set batch_size=8 --set max_seq_len=256 \
  --set eval_every=20 --set warmup_steps=4 --set log_every=10
test -f "$WORK/run/config.json" && test -f "$WORK/run/final/model.safetensors"
evals=$(grep -c '"eval_loss"' "$WORK/run/metrics.jsonl")
grep -q '"step":0' "$WORK/run/metrics.jsonl"
[ "$evals" -eq 3 ] || { echo "expected evaluations at steps 0, 20, 40; got $evals"; exit 1; }
before=$("$CHOSEI" eval --model "$BASE" --data "$WORK/val120.jsonl" --max-examples 0 --json | awk -F': ' '/^  "loss"/ {print $2+0}')
after=$("$CHOSEI" eval --model "$WORK/run/final" --data "$WORK/val120.jsonl" --max-examples 3 --json | awk -F': ' '/^  "loss"/ {print $2+0}')
echo "held-out assistant-token loss: before $before, after $after"
awk -v b="$before" -v a="$after" 'BEGIN { r = 1 - a / b; printf "reduction %.1f%%\n", 100 * r; exit !(r >= 0.30) }'
echo "1 passed, 0 failed"
