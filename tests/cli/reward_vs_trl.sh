#!/usr/bin/env bash
# `chosei reward train` against TRL's RewardTrainer on the real SmolLM2-135M-Instruct (the Q4_1
# GGUF of the models cache, imported in bf16): the same weights, Anthropic HH-RLHF harmless
# pairs in the same order (converted by `chosei data convert --to trl`, which TRL reads too),
# the model's own chat template, the reward read at each conversation's last token, LoRA on
# q_proj and v_proj and the new score head starting from the adapter TRL initialized
# (lora.init_from), the Bradley-Terry loss without centering, AdamW, a linear schedule,
# clipping at 1.0, no dropout, gradient checkpointing on both sides (chosei packs each step's
# pairs, TRL pads them: the same sums). Step 1's loss must equal TRL's within 1e-4 and every
# one of 20 steps' losses within 1%; gradient norms and pair accuracies follow.
# TRL runs in the reference environment (tests/reference/trl_reward_reference.py).
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
MODELS="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}"
REFPY="${CHOSEI_REFERENCE_ENV:-$HOME/.cache/chosei/reference-env}/bin/python"
GGUF="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
HH="$DATA/hh_rlhf_harmless_dev/harmless_base_test_half_a.jsonl"
[ -f "$HH" ] || { echo "shared data not found; skipped"; exit 77; }
[ -f "$GGUF" ] || { echo "models cache: $GGUF missing (scripts/setup); skipped"; exit 77; }
[ -x "$REFPY" ] || { echo "the reference environment is not installed (scripts/setup); skipped"; exit 77; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$CHOSEI" model import --format gguf --weights "$GGUF" --out "$WORK/smollm2" --dtype bf16 >/dev/null
"$CHOSEI" data convert --to trl "$HH" --out "$WORK/hh.jsonl" >/dev/null
# 40 short pairs (each line under 1200 characters), in file order.
/usr/bin/python3 - "$WORK/hh.jsonl" "$WORK/train.jsonl" <<'PY'
import sys
rows = [l for l in open(sys.argv[1], encoding="utf-8") if len(l) < 1200][:40]
assert len(rows) == 40, len(rows)
open(sys.argv[2], "w", encoding="utf-8").writelines(rows)
PY
STEPS=20
cat >"$WORK/settings.json" <<JSON
{"batch_size": 2, "learning_rate": 0.001, "max_steps": $STEPS, "max_length": 1024, "seed": 3,
 "lora_r": 8, "lora_alpha": 16, "lora_target_modules": ["q_proj", "v_proj"]}
JSON
"$REFPY" "$ROOT/tests/reference/trl_reward_reference.py" "$WORK/smollm2" "$WORK/train.jsonl" \
  "$WORK/settings.json" "$WORK/trl" >"$WORK/trl.log" 2>&1 || {
  cat "$WORK/trl.log"
  exit 1
}
"$CHOSEI" reward train --set model="$WORK/smollm2" --set train="$WORK/train.jsonl" --set out="$WORK/run" \
  --set lora.r=8 --set lora.alpha=16 --set lora.target_modules=q_proj,v_proj \
  --set lora.init_from="$WORK/trl/initial_adapter" --set lora.dropout=0 --set batch_size=2 \
  --set shuffle=false --set lr_schedule=linear --set learning_rate=0.001 --set warmup_steps=0 \
  --set max_steps=$STEPS --set max_grad_norm=1 --set weight_decay=0 --set log_every=1 \
  --set max_seq_len=1024 --set seed=3 --set gradient_checkpointing=true 2>"$WORK/chosei.log" || {
  cat "$WORK/chosei.log"
  exit 1
}

/usr/bin/python3 - "$WORK/trl/trl_run.json" "$WORK/run/metrics.jsonl" "$STEPS" <<'PY'
import json, sys
trl = {s["step"]: s for s in json.load(open(sys.argv[1]))["steps"]}
ours = {l["step"]: l for l in map(json.loads, open(sys.argv[2])) if "loss" in l and "lr" in l}
steps = int(sys.argv[3])
assert sorted(trl) == sorted(ours) == list(range(1, steps + 1)), (sorted(trl), sorted(ours))
for s in (1, steps // 2, steps):
    print("step %2d  loss chosei %.6f  TRL %.6f  grad_norm %.4f / %.4f  accuracy %.2f / %.2f" % (
        s, ours[s]["loss"], trl[s]["loss"], ours[s]["grad_norm"], trl[s]["grad_norm"],
        ours[s]["accuracy"], trl[s]["accuracy"]))
step0 = abs(ours[1]["loss"] - trl[1]["loss"])
worst = max(abs(ours[s]["loss"] - trl[s]["loss"]) / trl[s]["loss"] for s in trl)
print("step 1 |difference| %.2e; largest relative difference over %d steps %.2e" % (step0, steps, worst))
assert step0 <= 1e-4, "step 1's loss differs from TRL's by %g" % step0
assert worst < 0.01, "a step's loss differs from TRL's by %.3f%%" % (100 * worst)
assert len({round(ours[s]["loss"], 6) for s in ours}) > 1, "the loss never moved"
g = max(abs(ours[s]["grad_norm"] - trl[s]["grad_norm"]) / trl[s]["grad_norm"] for s in trl)
assert g < 0.02, "a gradient norm differs from TRL's by %.3f%%" % (100 * g)
a = max(abs(ours[s]["accuracy"] - trl[s]["accuracy"]) for s in trl)
assert a < 1e-9, "a step's pair accuracy differs from TRL's by %.2f" % a
t = json.load(open(sys.argv[1]))
last = ours[steps]
print("throughput on %d thread(s), this machine: chosei %.0f tokens/s, TRL %.0f tokens/s; "
      "peak RSS chosei %.0f MB, TRL %.0f MB (timings are not asserted)" % (
          t["threads"], last["tokens"] / last["elapsed_s"], t["tokens_per_s"],
          last["peak_rss_mb"], t["peak_rss_mb"]))
print("ok  chosei reward train equals TRL's RewardTrainer on SmolLM2-135M-Instruct (LoRA, 20 steps)")
PY
