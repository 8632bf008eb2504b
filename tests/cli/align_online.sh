#!/usr/bin/env bash
# `chosei align --set method=rloo|grpo` through the real command, on stories260K (raw text
# prompts) with a small reward model and a filter pack that blocks one word:
#   - RLOO: every metric the issue names in metrics.jsonl (reward and its parts, KL, clip
#     ratio, completion lengths, violations, samples/s) and report.html; at the first step
#     (policy = reference) the KL is 0; held-out prompts evaluated at step 0 and after;
#   - GRPO: batch 8 x accumulation 1 equals batch 2 x accumulation 4 (dapo and grpo
#     aggregation) and two data-parallel processes of batch 4;
#   - SIGKILL after a checkpoint, resume_from=auto: the same final weights byte for byte;
#   - LoRA: the reference is the base (KL 0 at the first step), the adapter is written;
#   - without a reward model the reward is the rule and safety terms; bad settings fail
#     naming the key.
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
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
source "$ROOT/tests/cli/two_ranks.sh"
py() { /usr/bin/python3 "$@"; }
PREFS="$ROOT/examples/kumo_support/preferences.jsonl"
grep '"lang": "en"' "$PREFS" >"$WORK/en.jsonl"
head -n 32 "$WORK/en.jsonl" >"$WORK/pairs.jsonl"
"$CHOSEI" reward train --set model="$BASE" --set train="$WORK/pairs.jsonl" --set max_seq_len=256 \
  --set batch_size=8 --set max_steps=3 --set learning_rate=0.002 --set out="$WORK/rm" 2>/dev/null
for s in "Once upon a time" "One day" "Lily went to the park" "The little robot" "Tom had a red ball" \
  "There was a big tree" "A cat sat" "The sun was hot" "Ben and Mia" "In the forest" "The dog ran" \
  "Sue liked to sing" "It was raining" "A bird flew" "The boat was small" "Max found a box"; do
  printf '{"prompt": "%s"}\n' "$s"
done >"$WORK/prompts.jsonl"
printf '%s\n' '{"prompt": "Once there was"}' '{"prompt": "The girl"}' '{"prompt": "Sam saw"}' \
  '{"prompt": "At night"}' >"$WORK/eval.jsonl"
cat >"$WORK/no_the.json" <<'J'
{"name": "no_the", "rules": [{"id": "the", "category": "test", "description": "the word the",
  "patterns": ["\\bthe\\b"], "action": "block", "applies_to": "output", "severity": "high",
  "examples": {"match": ["the"], "no_match": ["then"]}}]}
J
COMMON=(--set model="$BASE" --set prompts="$WORK/prompts.jsonl" --set max_new_tokens=16
  --set max_seq_len=64 --set warmup_steps=0 --set seed=3 --set log_every=1)
REWARD=(--set reward_model="$WORK/rm/final" --set packs="$WORK/no_the.json")

echo "== RLOO with the reward model and the safety penalty"
"$CHOSEI" align "${COMMON[@]}" "${REWARD[@]}" --set method=rloo --set batch_size=4 \
  --set max_steps=4 --set learning_rate=0.001 --set eval="$WORK/eval.jsonl" --set eval_every=2 \
  --set out="$WORK/rloo" 2>"$WORK/rloo.log" || { cat "$WORK/rloo.log"; exit 1; }
py - "$WORK/rloo" <<'PY'
import json, sys
run = sys.argv[1]
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
evals = [l for l in lines if "eval_reward" in l]
assert [l["step"] for l in evals] == [0, 2, 4], evals
for k in ("eval_rewards/model/mean", "eval_rewards/safety/mean", "eval_safety/violations",
          "eval_completions/mean_length"):
    assert k in evals[0], k
train = [l for l in lines if "reward" in l]
assert len(train) == 4, train
for k in ("reward", "reward_std", "rewards/model/mean", "rewards/model/std", "rewards/safety/mean",
          "rewards/rules/mean", "frac_reward_zero_std", "kl", "clip_ratio", "entropy",
          "completions/mean_length", "completions/min_length", "completions/max_length",
          "completions/clipped_ratio", "safety/violations", "samples_per_s"):
    assert k in train[-1], (k, train[-1])
first = train[0]
assert abs(first["kl"]) < 1e-5, first  # the policy is the reference before the first update
assert first["clip_ratio"] == 0, first  # one pass per generation: ratio 1
assert 1 <= first["completions/min_length"] <= first["completions/max_length"] <= 16, first
assert 0 <= first["safety/violations"] <= 1 and 0 <= first["frac_reward_zero_std"] <= 1, first
# The safety term is -1 per blocked answer (redact/flag do not occur with a block-only pack).
assert abs(first["rewards/safety/mean"] + first["safety/violations"]) < 1e-9, first
assert not any(k.startswith("units/") for l in lines for k in l), "units are not logged"
html = open(f"{run}/report.html").read()
assert "safety/violations" in html and "rewards/model/mean" in html
assert json.load(open(f"{run}/final/config.json"))["architectures"] == ["LlamaForCausalLM"]
PY

echo "== GRPO: batch 8 x accumulation 1 equals batch 2 x accumulation 4, and 2 processes x 4"
# One step with adam_eps and the learning rate at 1000: AdamW's first update is then
# lr * g / (|g| + eps) ~ g, so the weights show the gradient itself.
REVEAL=(--set method=grpo --set num_generations=4 --set beta=0.04 --set max_steps=1
  --set adam_eps=1000 --set learning_rate=1000 --set max_grad_norm=0 --threads 1)
for agg in dapo grpo; do
  "$CHOSEI" align "${COMMON[@]}" "${REWARD[@]}" "${REVEAL[@]}" --set loss_aggregation=$agg \
    --set batch_size=8 --set grad_accum=1 --set out="$WORK/g8$agg" 2>"$WORK/g8.log" ||
    { cat "$WORK/g8.log"; exit 1; }
  "$CHOSEI" align "${COMMON[@]}" "${REWARD[@]}" "${REVEAL[@]}" --set loss_aggregation=$agg \
    --set batch_size=2 --set grad_accum=4 --set out="$WORK/g2$agg" 2>/dev/null
  py "$ROOT/tests/reference/compare_safetensors.py" "$WORK/g8$agg/final/model.safetensors" \
    "$WORK/g2$agg/final/model.safetensors" 5e-5
done
py - "$WORK/g8dapo/metrics.jsonl" <<'PY'
import json, sys
step = [json.loads(l) for l in open(sys.argv[1])][-1]
assert step["grad_norm"] > 1e-3 and step["frac_reward_zero_std"] < 1, step  # a real gradient
PY
two_ranks "$WORK/ddp" "$CHOSEI" align "${COMMON[@]}" "${REWARD[@]}" "${REVEAL[@]}" --set batch_size=4 \
  --set grad_accum=1 --set out="$WORK/gddp"
py "$ROOT/tests/reference/compare_safetensors.py" "$WORK/g8dapo/final/model.safetensors" \
  "$WORK/gddp/final/model.safetensors" 5e-5

echo "== SIGKILL after a checkpoint, then resume_from=auto"
RESUME=(--set method=rloo --set batch_size=4 --set save_every=2 --set keep_checkpoints=2
  --set max_steps=6 --set learning_rate=0.001)
"$CHOSEI" align "${COMMON[@]}" "${REWARD[@]}" "${RESUME[@]}" --set out="$WORK/straight" 2>/dev/null
"$CHOSEI" align "${COMMON[@]}" "${REWARD[@]}" "${RESUME[@]}" --set out="$WORK/killed" 2>/dev/null &
kill_after_checkpoint $! "$WORK/killed" 2
"$CHOSEI" align "${COMMON[@]}" "${REWARD[@]}" "${RESUME[@]}" --set out="$WORK/killed" \
  --set resume_from=auto 2>"$WORK/resume.log" || { cat "$WORK/resume.log"; exit 1; }
[[ "$(cat "$WORK/resume.log")" == *"resuming from"* ]] || { cat "$WORK/resume.log"; exit 1; }
cmp "$WORK/straight/final/model.safetensors" "$WORK/killed/final/model.safetensors"

echo "== LoRA: the reference is the base with adapters disabled"
before=$(sha256sum "$BASE/model.safetensors")
"$CHOSEI" align "${COMMON[@]}" "${REWARD[@]}" --set method=rloo --set batch_size=4 \
  --set max_steps=2 --set learning_rate=0.01 --set lora.r=4 --set out="$WORK/lora" 2>"$WORK/lora.log" ||
  { cat "$WORK/lora.log"; exit 1; }
[ -f "$WORK/lora/final/adapter_config.json" ] && [ -f "$WORK/lora/final/adapter_model.safetensors" ]
[ "$(sha256sum "$BASE/model.safetensors")" = "$before" ]
py - "$WORK/lora/metrics.jsonl" <<'PY'
import json, sys
train = [json.loads(l) for l in open(sys.argv[1])]
assert abs(train[0]["kl"]) < 1e-5, train[0]  # B = 0: the adapted policy equals its base
assert train[1]["kl"] != 0, train[1]  # after one update it does not
PY

echo "== no reward model: the rule and safety terms alone"
"$CHOSEI" align "${COMMON[@]}" --set method=grpo --set num_generations=4 --set batch_size=8 \
  --set max_steps=2 --set packs="$WORK/no_the.json" --set must_match='\.' --set rule_penalty=0.5 \
  --set length_penalty=0.1 --set out="$WORK/rules" 2>"$WORK/rules.log" || { cat "$WORK/rules.log"; exit 1; }
[[ "$(cat "$WORK/rules.log")" == *"no reward_model"* ]] || { cat "$WORK/rules.log"; exit 1; }
py - "$WORK/rules/metrics.jsonl" <<'PY'
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
assert "rewards/model/mean" not in last and "kl" not in last, last  # GRPO's beta 0: no reference
# Rules: -0.1 * length / 16, and -0.5 without a full stop: between -0.6 and -0.1/16.
assert -0.6 - 1e-9 <= last["rewards/rules/mean"] <= -0.1 / 16 + 1e-9, last
assert abs(last["reward"] - last["rewards/rules/mean"] - last["rewards/safety/mean"]) < 1e-6, last
PY

expect_error() {  # MESSAGE_PART SETTINGS...
  local want="$1"
  shift
  if "$CHOSEI" align "${COMMON[@]}" --set out="$WORK/bad" "$@" >"$WORK/err.log" 2>&1; then
    echo "accepted: $*"; exit 1
  fi
  [[ "$(cat "$WORK/err.log")" == *"$want"* ]] || { echo "want '$want' in:"; cat "$WORK/err.log"; exit 1; }
}
expect_error "num_generations" --set method=rloo --set num_generations=1 --set batch_size=2
expect_error "not a multiple of num_generations" --set method=grpo --set batch_size=6 --set num_generations=4
expect_error "loss_aggregation" --set method=grpo --set loss_aggregation=token --set batch_size=8
expect_error "GRPO's" --set method=rloo --set scale_rewards=none --set batch_size=2
expect_error "temperature" --set method=rloo --set temperature=0 --set batch_size=2
expect_error "must_match" --set method=rloo --set must_match='(' --set batch_size=2
expect_error "missing.jsonl: cannot open" --set method=rloo --set prompts="$WORK/missing.jsonl" --set batch_size=2
echo "align_online: all checks passed"
