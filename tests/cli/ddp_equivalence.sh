#!/usr/bin/env bash
# Data-parallel training on c10d/Gloo: two processes launched with torchrun's variables
# (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), each with batch 4, must reach the same
# weights as one process accumulating two micro-batches of 4 (the same global batch).
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
for i in $(seq 1 30); do echo "Refunds take five business days. 返金は5営業日以内です。 Order $i ships today."; done >"$WORK/corpus.txt"
"$CHOSEI" tokenizer train --vocab-size 400 --out "$WORK/tok" "$WORK/corpus.txt" >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/base" --seed 3 >/dev/null
for i in $(seq 1 24); do
  printf '{"messages":[{"role":"user","content":"When does order %d ship?"},{"role":"assistant","content":"Order %d ships today; refunds take five business days."}]}\n' "$i" "$i"
done >"$WORK/train.jsonl"
COMMON=(--set model="$WORK/base" --set train="$WORK/train.jsonl" --set max_steps=3 --set learning_rate=0.01
  --set packing=false --set max_seq_len=64 --set log_every=1 --set seed=5 --threads 1)
"$CHOSEI" sft "${COMMON[@]}" --set out="$WORK/single" --set batch_size=4 --set grad_accum=2 2>"$WORK/single.log"
PORT=$((20000 + RANDOM % 20000))
for rank in 0 1; do
  RANK=$rank WORLD_SIZE=2 LOCAL_RANK=$rank MASTER_ADDR=127.0.0.1 MASTER_PORT=$PORT \
    "$CHOSEI" sft "${COMMON[@]}" --set out="$WORK/ddp" --set batch_size=4 --set grad_accum=1 2>"$WORK/rank$rank.log" &
done
wait %1 || { cat "$WORK/rank0.log"; exit 1; }
wait %2 || { cat "$WORK/rank1.log"; exit 1; }
test ! -e "$WORK/ddp/final/model.safetensors.tmp"
/usr/bin/python3 "$ROOT/tests/reference/compare_safetensors.py" "$WORK/single/final/model.safetensors" \
  "$WORK/ddp/final/model.safetensors" 1e-5
# Both runs logged the same losses.
diff <(grep -o '"loss":[0-9.e-]*' "$WORK/single/metrics.jsonl" | cut -c1-14) \
  <(grep -o '"loss":[0-9.e-]*' "$WORK/ddp/metrics.jsonl" | cut -c1-14)
echo "1 passed, 0 failed"
