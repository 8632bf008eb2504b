#!/usr/bin/env bash
# `chosei sft` against TRL's SFTTrainer on the real SmolLM2-135M-Instruct (the Q4_1 GGUF of
# the models cache, imported): the same weights, Bitext customer-support conversations in
# the same order, the model's own chat template, the completion-only mask, LoRA on q_proj
# and v_proj starting from the adapter TRL initialized (lora.init_from), chosei's frozen base held
# in bf16 as the checkpoint stores it (TRL's widened to fp32), AdamW, a linear
# schedule, clipping at 1.0, no dropout, TRL's defaults of gradient checkpointing and a chunked
# head loss on both sides. Step 1's loss must equal TRL's within 1e-4 and every
# one of 20 steps' losses within 1%; the gradient norms and token accuracies follow.
# TRL runs in the reference environment (tests/reference/trl_sft_reference.py).
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
MODELS="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}"
REFPY="${CHOSEI_REFERENCE_ENV:-$HOME/.cache/chosei/reference-env}/bin/python"
GGUF="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
CSV="$DATA/sft_customer_support_bitext/Bitext_Sample_Customer_Support_Training_Dataset.csv"
[ -f "$CSV" ] || { echo "shared data not found; skipped"; exit 77; }
[ -f "$GGUF" ] || { echo "models cache: $GGUF missing (scripts/setup); skipped"; exit 77; }
[ -x "$REFPY" ] || { echo "the reference environment is not installed (scripts/setup); skipped"; exit 77; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# In bf16, as SmolLM2 is published: chosei holds the frozen base as it came (lora.base_dtype=auto)
# and TRL widens it to fp32 at load, so both compute with the same values in fp32.
"$CHOSEI" model import --format gguf --weights "$GGUF" --out "$WORK/smollm2" --dtype bf16 >/dev/null
# 40 single-turn conversations with short answers, spread over the intents.
/usr/bin/python3 "$ROOT/tests/reference/bitext_conversations.py" "$CSV" "$WORK/train.jsonl" 40
STEPS=20
cat >"$WORK/settings.json" <<EOF
{"batch_size": 2, "learning_rate": 0.001, "max_steps": $STEPS, "max_length": 512, "seed": 3,
 "lora_r": 8, "lora_alpha": 16, "lora_target_modules": ["q_proj", "v_proj"]}
EOF
"$REFPY" "$ROOT/tests/reference/trl_sft_reference.py" "$WORK/smollm2" "$WORK/train.jsonl" \
  "$WORK/settings.json" "$WORK/trl" >"$WORK/trl.log" 2>&1 || {
  cat "$WORK/trl.log"
  exit 1
}
"$CHOSEI" sft --set model="$WORK/smollm2" --set train="$WORK/train.jsonl" --set out="$WORK/run" \
  --set lora.init_from="$WORK/trl/initial_adapter" --set lora.dropout=0 --set batch_size=2 \
  --set packing=false --set shuffle=false --set lr_schedule=linear --set learning_rate=0.001 \
  --set warmup_steps=0 --set max_steps=$STEPS --set max_grad_norm=1 --set weight_decay=0 \
  --set log_every=1 --set max_seq_len=512 --set seed=3 --set gradient_checkpointing=true \
  2>"$WORK/chosei.log" || {
  cat "$WORK/chosei.log"
  exit 1
}

/usr/bin/python3 - "$WORK/trl/trl_run.json" "$WORK/run/metrics.jsonl" "$STEPS" <<'PY'
import json, sys
trl = {s["step"]: s for s in json.load(open(sys.argv[1]))["steps"]}
ours = {l["step"]: l for l in map(json.loads, open(sys.argv[2])) if "loss" in l and "lr" in l}
steps = int(sys.argv[3])
assert sorted(trl) == sorted(ours) == list(range(1, steps + 1)), (sorted(trl), sorted(ours))
worst = max(abs(ours[s]["loss"] - trl[s]["loss"]) / trl[s]["loss"] for s in trl)
for s in (1, steps // 2, steps):
    print("step %2d  loss chosei %.6f  TRL %.6f  grad_norm %.4f / %.4f  token accuracy %.4f / %.4f" % (
        s, ours[s]["loss"], trl[s]["loss"], ours[s]["grad_norm"], trl[s]["grad_norm"],
        ours[s]["mean_token_accuracy"], trl[s]["mean_token_accuracy"]))
step0 = abs(ours[1]["loss"] - trl[1]["loss"])
print("step 1 |difference| %.2e; largest relative difference over %d steps %.2e" % (step0, steps, worst))
assert step0 <= 1e-4, "step 1's loss differs from TRL's by %g" % step0
assert worst < 0.01, "a step's loss differs from TRL's by %.3f%%" % (100 * worst)
assert ours[steps]["loss"] != ours[1]["loss"], "the loss never moved"
g = max(abs(ours[s]["grad_norm"] - trl[s]["grad_norm"]) / trl[s]["grad_norm"] for s in trl)
assert g < 0.02, "a gradient norm differs from TRL's by %.3f%%" % (100 * g)
a = max(abs(ours[s]["mean_token_accuracy"] - trl[s]["mean_token_accuracy"]) for s in trl)
assert a < 0.01, "a token accuracy differs from TRL's by %.4f" % a
t = json.load(open(sys.argv[1]))
last = ours[steps]
print("throughput on %d thread(s), this machine: chosei %.0f tokens/s, TRL %.0f tokens/s; "
      "peak RSS chosei %.0f MB, TRL %.0f MB (timings are not asserted)" % (
          t["threads"], last["tokens"] / last["elapsed_s"], t["tokens_per_s"],
          last["peak_rss_mb"], t["peak_rss_mb"]))
print("ok  chosei sft equals TRL's SFTTrainer on SmolLM2-135M-Instruct (LoRA, 20 steps)")
PY

# The base held in fp32 (lora.base_dtype=fp32) computes the same steps: holding it in bf16
# changes the memory, not the arithmetic. (Two steps: the first update's rate is the peak
# whatever max_steps is.)
"$CHOSEI" sft --set model="$WORK/smollm2" --set train="$WORK/train.jsonl" --set out="$WORK/fp32" \
  --set lora.init_from="$WORK/trl/initial_adapter" --set lora.dropout=0 --set batch_size=2 \
  --set packing=false --set shuffle=false --set lr_schedule=linear --set learning_rate=0.001 \
  --set warmup_steps=0 --set max_steps=2 --set max_grad_norm=1 --set weight_decay=0 \
  --set log_every=1 --set max_seq_len=512 --set seed=3 --set gradient_checkpointing=true \
  --set lora.base_dtype=fp32 2>"$WORK/fp32.log" || {
  cat "$WORK/fp32.log"
  exit 1
}
/usr/bin/python3 - "$WORK/run/metrics.jsonl" "$WORK/fp32/metrics.jsonl" <<'PY'
import json, sys
held, wide = ({l["step"]: l for l in map(json.loads, open(f)) if "loss" in l and "lr" in l}
              for f in sys.argv[1:])
for s in (1, 2):
    d = abs(held[s]["loss"] - wide[s]["loss"])
    assert d <= 1e-5 * wide[s]["loss"], "step %d: bf16-held base %g, fp32 base %g" % (
        s, held[s]["loss"], wide[s]["loss"])
print("ok  base held in bf16 = base in fp32 at steps 1-2 (loss %.6f / %.6f); peak RSS %.0f / %.0f MB"
      % (held[2]["loss"], wide[2]["loss"], held[2]["peak_rss_mb"], wide[2]["peak_rss_mb"]))
PY

# An adapter to start from whose shape is not the run's is refused by name.
if "$CHOSEI" sft --set model="$WORK/smollm2" --set train="$WORK/train.jsonl" --set out="$WORK/bad" \
  --set lora.init_from="$WORK/trl/initial_adapter" --set lora.r=4 --set max_steps=1 2>"$WORK/bad.err"; then
  echo "a rank-8 adapter started a rank-4 run"
  exit 1
fi
grep -q 'initial_adapter/adapter_config.json: field "r" is 8' "$WORK/bad.err" || {
  cat "$WORK/bad.err"
  exit 1
}
echo "ok  lora.init_from with another rank: $(tail -n 1 "$WORK/bad.err")"
