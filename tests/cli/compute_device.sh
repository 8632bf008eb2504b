#!/usr/bin/env bash
# --device through the real commands. Everywhere: a bad name is refused naming the accepted
# ones, and --device cpu is the default path byte for byte. Without CUDA (this LibTorch or
# no GPU): generate, chat, serve, sft, pretrain, align and reward train refuse cuda before
# loading anything and leave no run directory. With CUDA: an SFT run on the GPU follows the
# CPU run's losses, greedy decoding on the GPU gives the CPU's first tokens, and the recipes
# that train on the CPU only say so.
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
trap 'rm -rf "$WORK"' EXIT
fails=0
check() {  # check NAME CONDITION...
  local name="$1"
  shift
  if "$@"; then echo "ok: $name"; else echo "FAILED: $name"; fails=$((fails + 1)); fi
}
# refuses NAME PATTERN CMD...: CMD exits non-zero and its stderr holds PATTERN.
refuses() {
  local name="$1" pattern="$2"
  shift 2
  local rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
  if [ "$rc" -ne 0 ] && grep -qF -- "$pattern" "$WORK/err"; then
    echo "ok: $name ($(head -c 160 "$WORK/err"))"
  else
    echo "FAILED: $name: exit $rc, stderr: $(head -c 400 "$WORK/err")"
    fails=$((fails + 1))
  fi
}

gen=("$CHOSEI" generate --model "$BASE" --prompt "Once upon a time" --max-new-tokens 24
  --temperature 0 --json --threads 1)
"${gen[@]}" >"$WORK/default.json"
"${gen[@]}" --device cpu >"$WORK/cpu.json"
check "--device cpu decodes as the default" cmp -s "$WORK/default.json" "$WORK/cpu.json"
refuses "generate --device gpu" 'is not one of cpu, cuda, cuda:N' "${gen[@]}" --device gpu

"$CHOSEI" data convert --from csv --map instruction=user --map response=assistant "$CSV" \
  --out "$WORK/all.jsonl" 2>/dev/null
head -n 64 "$WORK/all.jsonl" >"$WORK/train.jsonl"
sft=("$CHOSEI" sft --set model="$BASE" --set train="$WORK/train.jsonl" --set max_steps=6
  --set batch_size=4 --set max_seq_len=128 --set learning_rate=0.003 --set log_every=1
  --set seed=3 --threads 1)

rc=0
"${gen[@]}" --device cuda >"$WORK/cuda.json" 2>"$WORK/err" || rc=$?
if [ "$rc" -ne 0 ]; then
  no_cuda='torch::cuda::is_available() is false'
  check "generate --device cuda names why" grep -qF "$no_cuda" "$WORK/err"
  refuses "chat --device cuda" "$no_cuda" "$CHOSEI" chat --model "$BASE" --device cuda
  refuses "serve --device cuda" "$no_cuda" "$CHOSEI" serve --model "m=$BASE" --port 0 \
    --device cuda
  refuses "sft --device cuda" "$no_cuda" "${sft[@]}" --set out="$WORK/run-sft" --device cuda
  refuses "sft --set device=cuda:1" "$no_cuda" "${sft[@]}" --set out="$WORK/run-sft" \
    --set device=cuda:1
  check "sft wrote no run directory" test ! -e "$WORK/run-sft"
  refuses "pretrain --device cuda" "$no_cuda" "$CHOSEI" pretrain --set model="$BASE" \
    --set train="$WORK/train.jsonl" --set out="$WORK/run-pre" --device cuda
  refuses "align --device cuda" "$no_cuda" "$CHOSEI" align --set model="$BASE" \
    --set train="$WORK/train.jsonl" --set out="$WORK/run-align" --device cuda
  refuses "reward train --set device=cuda" "$no_cuda" "$CHOSEI" reward train \
    --set model="$BASE" --set train="$WORK/train.jsonl" --set out="$WORK/run-rm" \
    --set device=cuda
else
  echo "CUDA visible: comparing the GPU with the CPU"
  cpu_ids=$(sed 's/.*"ids":\[\([0-9,]*\)\].*/\1/' "$WORK/cpu.json" | cut -d, -f1-8)
  cuda_ids=$(sed 's/.*"ids":\[\([0-9,]*\)\].*/\1/' "$WORK/cuda.json" | cut -d, -f1-8)
  check "greedy decoding on cuda gives the CPU's first 8 tokens ($cuda_ids)" \
    test "$cpu_ids" = "$cuda_ids"
  "${sft[@]}" --set out="$WORK/run-cpu" 2>/dev/null
  "${sft[@]}" --set out="$WORK/run-cuda" --device cuda 2>/dev/null
  check "the cuda run saved its model" test -f "$WORK/run-cuda/final/model.safetensors"
  loss() { grep '"loss"' "$1/metrics.jsonl" | sed -n "${2}p" | sed 's/.*"loss":\([-0-9.e+]*\).*/\1/'; }
  for step in 1 6; do
    a=$(loss "$WORK/run-cpu" "$step") b=$(loss "$WORK/run-cuda" "$step")
    check "train loss at step $step: cpu $a, cuda $b (within 2%)" \
      awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.02 * a) }'
  done
  refuses "reward train says it trains on the CPU only" "trains on cpu only" \
    "$CHOSEI" reward train --set model="$BASE" --set train="$WORK/train.jsonl" \
    --set out="$WORK/run-rm" --set device=cuda
fi
echo "$fails failed"
[ "$fails" -eq 0 ]
