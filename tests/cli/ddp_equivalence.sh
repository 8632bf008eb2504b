#!/usr/bin/env bash
# Data-parallel training on c10d/Gloo: two processes launched with torchrun's variables
# (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), each with batch 4, must reach the same
# weights as one process accumulating two micro-batches of 4 (the same global batch). Then
# the data-parallel run resumed with resume_from=auto from the state a kill after its step-2
# checkpoint leaves (step-2 complete, step-4 half-written, metrics logged past step 2, no
# final/) must end with the same bytes as the uninterrupted data-parallel run.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
source "$ROOT/tests/cli/two_ranks.sh"
for i in $(seq 1 30); do echo "Refunds take five business days. 返金は5営業日以内です。 Order $i ships today."; done >"$WORK/corpus.txt"
"$CHOSEI" tokenizer train --vocab-size 400 --out "$WORK/tok" "$WORK/corpus.txt" >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/base" --seed 3 >/dev/null
for i in $(seq 1 24); do
  printf '{"messages":[{"role":"user","content":"When does order %d ship?"},{"role":"assistant","content":"Order %d ships today; refunds take five business days."}]}\n' "$i" "$i"
done >"$WORK/train.jsonl"
COMMON=(--set model="$WORK/base" --set train="$WORK/train.jsonl" --set max_steps=4 --set save_every=2 --set learning_rate=0.01
  --set packing=false --set max_seq_len=64 --set log_every=1 --set seed=5 --threads 1)
"$CHOSEI" sft "${COMMON[@]}" --set out="$WORK/single" --set batch_size=4 --set grad_accum=2 2>"$WORK/single.log"
# ddp OUT [--set ...]: two ranks of the same command.
ddp() {
  local out="$1"; shift
  two_ranks "$out" "$CHOSEI" sft "${COMMON[@]}" --set out="$out" --set batch_size=4 --set grad_accum=1 "$@" || exit 1
}
ddp "$WORK/ddp"
test ! -e "$WORK/ddp/final/model.safetensors.tmp"
/usr/bin/python3 "$ROOT/tests/reference/compare_safetensors.py" "$WORK/single/final/model.safetensors" \
  "$WORK/ddp/final/model.safetensors" 1e-5
# Both runs logged the same losses.
diff <(grep -o '"loss":[0-9.e-]*' "$WORK/single/metrics.jsonl" | cut -c1-14) \
  <(grep -o '"loss":[0-9.e-]*' "$WORK/ddp/metrics.jsonl" | cut -c1-14)
cp -r "$WORK/ddp" "$WORK/resumed"
rm -rf "$WORK/resumed/final" "$WORK/resumed/report.html"
mv "$WORK/resumed/checkpoints/step-4" "$WORK/resumed/checkpoints/step-4.tmp"
ddp "$WORK/resumed" --set resume_from=auto
grep -q "resuming from .*step-2 " "$WORK/resumed.rank0.log" && grep -q "resuming from" "$WORK/resumed.rank1.log"
cmp "$WORK/ddp/final/model.safetensors" "$WORK/resumed/final/model.safetensors"
diff <(grep -o '"loss":[0-9.e-]*' "$WORK/ddp/metrics.jsonl") <(grep -o '"loss":[0-9.e-]*' "$WORK/resumed/metrics.jsonl")
echo "2 passed, 0 failed"
