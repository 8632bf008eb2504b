#!/usr/bin/env bash
# Resume through the real command: a run is SIGKILLed at a random step after a checkpoint,
# then the same command is run again resuming (from the named checkpoint, or with
# resume_from=auto); its final weights must equal, byte for byte, those of a run that was
# never stopped, and its metrics.jsonl must read the same (step, loss, eval) sequence.
# Full SFT (chat tokens added, embeddings grown), LoRA (grown embeddings saved with the
# adapter) and continued pretraining.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
BASE="$DATA/derived_hf_llama_stories260K"
CSV="$DATA/sft_customer_support_bitext/Bitext_Sample_Customer_Support_Training_Dataset.csv"
if [ ! -d "$BASE" ] || [ ! -f "$CSV" ]; then
  echo "shared data not found; skipped"
  exit 77
fi
WORK="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$CHOSEI" data convert --from csv --map instruction=user --map response=assistant "$CSV" --out "$WORK/all.jsonl" 2>/dev/null
head -n 400 "$WORK/all.jsonl" >"$WORK/train.jsonl"
sed -n 401,424p "$WORK/all.jsonl" >"$WORK/eval.jsonl"
RUNS=0

# The (step, loss, eval_loss) lines of a metrics.jsonl, exactly as logged.
trajectory() {
  /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    print(j["step"], j.get("loss"), j.get("eval_loss"), j.get("lr"), j.get("epoch"))' "$1"
}

# run_killed NAME COMMAND...: starts the command in the background, waits for a random
# checkpoint to appear, SIGKILLs the process and checks it did not finish.
run_killed() {
  local name="$1"; shift
  local target=$(( (2 + RANDOM % 6) * 10 ))
  "$@" --set out="$WORK/$name" 2>"$WORK/$name.killed.log" &
  local pid=$!
  until [ -d "$WORK/$name/checkpoints/step-$target" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.killed.log"; echo "$name: ended before step $target"; exit 1; }
    sleep 0.02  # polling, not spinning: the run (and the test beside it under ctest -j) keep the cores
  done
  sleep "0.0$((RANDOM % 10))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  if [ -e "$WORK/$name/final" ]; then echo "$name: finished before the kill; the test proves nothing"; exit 1; fi
  echo "$name: killed after checkpoint step-$target ($(ls "$WORK/$name/checkpoints" | tr '\n' ' '))"
}

# compare NAME FILE: the resumed run equals the uninterrupted one.
compare() {
  local name="$1" file="$2"
  grep -q "resuming from" "$WORK/$name.resumed.log" || { cat "$WORK/$name.resumed.log"; echo "$name: did not resume"; exit 1; }
  cmp "$WORK/$name.full/final/$file" "$WORK/$name/final/$file" || { echo "$name: final $file differs"; exit 1; }
  diff <(trajectory "$WORK/$name.full/metrics.jsonl") <(trajectory "$WORK/$name/metrics.jsonl") ||
    { echo "$name: metrics.jsonl differs"; exit 1; }
  RUNS=$((RUNS + 1))
  echo "$name: resumed run equals the uninterrupted one ($file, $(wc -l <"$WORK/$name/metrics.jsonl") metric lines)"
}

SFT=("$CHOSEI" sft --set model="$BASE" --set train="$WORK/train.jsonl" --set eval="$WORK/eval.jsonl"
  --set max_steps=100 --set learning_rate=0.003 --set batch_size=8 --set max_seq_len=192 --set warmup_steps=5
  --set eval_every=20 --set save_every=10 --set keep_checkpoints=3 --set log_every=5 --set seed=3 --threads 1)

# Full fine-tuning, resumed from the checkpoint named on the command line.
"${SFT[@]}" --set out="$WORK/full.full" 2>"$WORK/full.full.log"
run_killed full "${SFT[@]}"
latest=$(ls -d "$WORK"/full/checkpoints/step-* | grep -v '\.tmp$' | sort -t- -k2 -n | tail -1)
"${SFT[@]}" --set out="$WORK/full" --set resume_from="$latest" 2>"$WORK/full.resumed.log"
compare full model.safetensors

# LoRA with grown embeddings, resumed with resume_from=auto past a half-written checkpoint.
LORA=("${SFT[@]}" --set lora.r=4 --set lora.alpha=8 --set lora.dropout=0.1 --set learning_rate=0.01)
"${LORA[@]}" --set out="$WORK/lora.full" 2>"$WORK/lora.full.log"
run_killed lora "${LORA[@]}"
mkdir -p "$WORK/lora/checkpoints/step-9990.tmp" "$WORK/lora/checkpoints/step-9980"
echo '{}' >"$WORK/lora/checkpoints/step-9980/optimizer.pt"  # torn: no trainer_state.json
"${LORA[@]}" --set out="$WORK/lora" --set resume_from=auto 2>"$WORK/lora.resumed.log"
grep -q "step-9980\|step-9990" "$WORK/lora.resumed.log" && { echo "lora: loaded an incomplete checkpoint"; exit 1; }
compare lora adapter_model.safetensors

# Continued pretraining on the demo's product guide, resume_from=auto.
PRE=("$CHOSEI" pretrain --set model="$BASE" --set train="$ROOT/examples/kumo_support/products_en.txt"
  --set eval="$ROOT/examples/kumo_support/policies_en.txt" --set max_steps=100 --set learning_rate=0.003
  --set batch_size=4 --set max_seq_len=128 --set eval_every=25 --set save_every=10 --set log_every=5
  --set seed=4 --threads 1 --set resume_from=auto)
"${PRE[@]}" --set out="$WORK/pretrain.full" 2>"$WORK/pretrain.full.log"
grep -q "resuming from" "$WORK/pretrain.full.log" && { echo "auto with no checkpoint must start fresh"; exit 1; }
run_killed pretrain "${PRE[@]}"
"${PRE[@]}" --set out="$WORK/pretrain" 2>"$WORK/pretrain.resumed.log"
compare pretrain model.safetensors

echo "$RUNS passed, 0 failed"
