#!/usr/bin/env bash
# `chosei align` through the real command, on stories260K and the Kumo preference pairs:
#   - DPO: metrics with TRL's names in metrics.jsonl and report.html; at step 0 (policy =
#     reference) the evaluation loss is ln 2 and the reward margin 0;
#   - the reference log-probs are computed once into the cache; a second run pointed at the
#     cache reuses them and ends with the same weights byte for byte;
#   - LoRA: its reference is the base (the same cache key, so the cache is reused), the
#     adapter is written and the base untouched;
#   - batch 8 x accumulation 1 equals batch 2 x accumulation 4 and two data-parallel
#     processes of batch 4;
#   - SIGKILL after a checkpoint, resume_from=auto: the final weights equal an uninterrupted
#     run byte for byte;
#   - ipo, simpo, orpo and kto (from pairs and from KTO records) run with their metrics
#     (KTO at step 0: loss 0.5, KL 0); bad settings fail naming the key.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
BASE="$DATA/derived_hf_llama_stories260K"
if [ ! -d "$BASE" ]; then
  echo "shared data not found; skipped"
  exit 77
fi
. "$ROOT/tests/cli/kill_after_checkpoint.sh"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
source "$ROOT/tests/cli/two_ranks.sh"
PREFS="$ROOT/examples/kumo_support/preferences.jsonl"
grep '"lang": "en"' "$PREFS" >"$WORK/en.jsonl"
head -n 64 "$WORK/en.jsonl" >"$WORK/train.jsonl"
tail -n 16 "$WORK/en.jsonl" >"$WORK/val.jsonl"
COMMON=(--set model="$BASE" --set train="$WORK/train.jsonl" --set max_seq_len=256
  --set learning_rate=0.001 --set warmup_steps=0 --set seed=5 --set log_every=1)
py() { /usr/bin/python3 "$@"; }

echo "== DPO with evaluation"
"$CHOSEI" align "${COMMON[@]}" --set method=dpo --set beta=0.1 --set eval="$WORK/val.jsonl" \
  --set max_steps=6 --set batch_size=8 --set eval_every=3 --set out="$WORK/dpo" 2>"$WORK/dpo.log"
[[ "$(cat "$WORK/dpo.log")" == *"computed into"* ]] || { cat "$WORK/dpo.log"; exit 1; }
py - "$WORK/dpo" <<'PY'
import json, math, sys
run = sys.argv[1]
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
first = lines[0]
assert first["step"] == 0 and abs(first["eval_loss"] - math.log(2)) < 1e-4, first
assert abs(first["eval_rewards/margins"]) < 1e-4 and abs(first["eval_rewards/chosen"]) < 1e-4, first
train = [l for l in lines if "rewards/margins" in l]
assert len(train) == 6, len(train)
for k in ("rewards/chosen", "rewards/rejected", "rewards/accuracies", "logps/chosen", "logps/rejected", "nll_loss"):
    assert k in train[-1], k
assert train[-1]["rewards/margins"] > train[0]["rewards/margins"], (train[0], train[-1])
assert "rewards/margins" in open(f"{run}/report.html").read()
assert json.load(open(f"{run}/final/config.json"))["architectures"] == ["LlamaForCausalLM"]
PY

echo "== the cached reference is reused and gives the same run"
"$CHOSEI" align "${COMMON[@]}" --set method=dpo --set beta=0.1 --set eval="$WORK/val.jsonl" \
  --set max_steps=6 --set batch_size=8 --set eval_every=3 --set out="$WORK/dpo2" \
  --set reference_cache="$WORK/dpo/reference_logps" 2>"$WORK/dpo2.log"
[[ "$(cat "$WORK/dpo2.log")" == *"reused from"* ]] || { cat "$WORK/dpo2.log"; exit 1; }
cmp "$WORK/dpo/final/model.safetensors" "$WORK/dpo2/final/model.safetensors"

echo "== LoRA: the reference is the base"
before=$(sha256sum "$BASE/model.safetensors")
"$CHOSEI" align "${COMMON[@]}" --set method=dpo --set beta=0.1 --set eval="$WORK/val.jsonl" \
  --set max_steps=3 --set batch_size=8 --set lora.r=4 --set out="$WORK/lora" \
  --set reference_cache="$WORK/dpo/reference_logps" 2>"$WORK/lora.log"
[[ "$(cat "$WORK/lora.log")" == *"reused from"* ]] || { cat "$WORK/lora.log"; exit 1; }
[ -f "$WORK/lora/final/adapter_config.json" ] && [ -f "$WORK/lora/final/adapter_model.safetensors" ]
[ "$(sha256sum "$BASE/model.safetensors")" = "$before" ]

echo "== batch 8 x accumulation 1 equals batch 2 x accumulation 4, and 2 processes x 4"
# One step with adam_eps and the learning rate at 1000: AdamW's first update is then
# lr * g / (|g| + eps) ~ g, so the weights show the gradient itself, not its sign. The
# gradients here are of order 1; packing 16 or 4 sequences a row changes fp32 summation
# order by ~1e-5 (the same as packing against no packing on one batch).
REVEAL=(--set method=dpo --set max_steps=1 --set adam_eps=1000 --set learning_rate=1000
  --set max_grad_norm=0 --threads 1)
"$CHOSEI" align "${COMMON[@]}" "${REVEAL[@]}" --set batch_size=8 --set grad_accum=1 \
  --set out="$WORK/b8" 2>/dev/null
"$CHOSEI" align "${COMMON[@]}" "${REVEAL[@]}" --set batch_size=2 --set grad_accum=4 \
  --set out="$WORK/b2" 2>/dev/null
py "$ROOT/tests/reference/compare_safetensors.py" "$WORK/b8/final/model.safetensors" \
  "$WORK/b2/final/model.safetensors" 5e-5
two_ranks "$WORK/ddp" "$CHOSEI" align "${COMMON[@]}" "${REVEAL[@]}" --set batch_size=4 \
  --set grad_accum=1 --set out="$WORK/ddp"
py "$ROOT/tests/reference/compare_safetensors.py" "$WORK/b8/final/model.safetensors" \
  "$WORK/ddp/final/model.safetensors" 5e-5

echo "== SIGKILL after a checkpoint, then resume_from=auto"
RESUME=(--set method=dpo --set batch_size=4 --set save_every=3 --set keep_checkpoints=2 --set max_steps=9)
"$CHOSEI" align "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/straight" 2>/dev/null
"$CHOSEI" align "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/killed" 2>/dev/null &
kill_after_checkpoint $! "$WORK/killed" 3
"$CHOSEI" align "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/killed" --set resume_from=auto 2>"$WORK/resume.log"
[[ "$(cat "$WORK/resume.log")" == *"reused from"* ]] || { cat "$WORK/resume.log"; exit 1; }
cmp "$WORK/straight/final/model.safetensors" "$WORK/killed/final/model.safetensors"

echo "== ipo, simpo and orpo"
for m in ipo simpo orpo; do
  "$CHOSEI" align "${COMMON[@]}" --set method=$m --set max_steps=2 --set batch_size=8 \
    --set out="$WORK/$m" 2>"$WORK/$m.log" || { cat "$WORK/$m.log"; exit 1; }
done
[[ "$(cat "$WORK/simpo.log")" != *"reference log-probs"* ]]  # no reference for SimPO
py - "$WORK/orpo/metrics.jsonl" <<'PY'
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
assert "log_odds_ratio" in last and "log_odds_chosen" in last and "nll_loss" in last, last
PY

echo "== kto, from pairs and from KTO records"
"$CHOSEI" align "${COMMON[@]}" --set method=kto --set max_steps=3 --set batch_size=8 \
  --set eval="$WORK/val.jsonl" --set eval_every=3 --set out="$WORK/kto" 2>"$WORK/kto.log" ||
  { cat "$WORK/kto.log"; exit 1; }
[[ "$(cat "$WORK/kto.log")" == *"64 desirable, 64 undesirable"* ]] || { cat "$WORK/kto.log"; exit 1; }
"$CHOSEI" data convert --to kto "$WORK/train.jsonl" --out "$WORK/train.kto.jsonl" >/dev/null
"$CHOSEI" align "${COMMON[@]}" --set method=kto --set max_steps=2 --set batch_size=8 \
  --set train="$WORK/train.kto.jsonl" --set desirable_weight=1.2 --set out="$WORK/kto2" \
  2>"$WORK/kto2.log" || { cat "$WORK/kto2.log"; exit 1; }
py - "$WORK/kto/metrics.jsonl" <<'PY'
import json, math, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
first, last = lines[0], lines[-1]
# At step 0 every log-ratio and the KL estimate are 0: each loss is 1 - sigmoid(0) = 0.5.
assert abs(first["eval_loss"] - 0.5) < 1e-4 and abs(first["eval_kl"]) < 1e-4, first
train = [l for l in lines if "kl" in l and "eval_loss" not in l]
for k in ("rewards/chosen", "rewards/rejected", "logps/chosen", "logps/rejected", "kl"):
    assert k in train[-1], (k, train[-1])
assert not any(k.startswith("units/") for l in lines for k in l), "units are not logged"
PY
expect_error() {  # MESSAGE_PART SETTINGS...
  local want="$1"
  shift
  if "$CHOSEI" align "${COMMON[@]}" --set out="$WORK/bad" "$@" >"$WORK/err.log" 2>&1; then
    echo "accepted: $*"; exit 1
  fi
  [[ "$(cat "$WORK/err.log")" == *"$want"* ]] || { echo "want '$want' in:"; cat "$WORK/err.log"; exit 1; }
}
expect_error "is not one of" --set method=ppo
expect_error "label_smoothing" --set method=cdpo
expect_error "uses no reference" --set method=simpo --set reference="$BASE"
expect_error "beta" --set beta=0
echo "align_end_to_end: all checks passed"
