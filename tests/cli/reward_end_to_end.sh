#!/usr/bin/env bash
# The reward model through the real commands, on stories260K and the Kumo preference pairs:
#   - `reward train` (full) writes an HF LlamaForSequenceClassification final/, metrics with
#     accuracy and margin, evaluations at step 0 and every eval_every, report.html;
#   - `reward score --ids` agrees with an independent PyTorch forward pass over final/;
#   - `reward eval --json`: pairs, accuracy, mean_margin, ece; accuracy and margin equal those
#     of the PyTorch rewards, the length baselines those of the texts, --baseline the
#     accuracy of the second model's own scores;
#   - LoRA: the base files are untouched, the adapter holds the score head, `lora merge`
#     gives a reward model that scores like the adapter;
#   - SIGKILL after a checkpoint, `resume_from=auto`: the final weights equal an
#     uninterrupted run byte for byte;
#   - `data validate|stats|convert` on preference files.
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
PREFS="$ROOT/examples/kumo_support/preferences.jsonl"
grep '"lang": "en"' "$PREFS" >"$WORK/en.jsonl"
head -n 96 "$WORK/en.jsonl" >"$WORK/train.jsonl"
tail -n 24 "$WORK/en.jsonl" >"$WORK/val.jsonl"
COMMON=(--set model="$BASE" --set train="$WORK/train.jsonl" --set eval="$WORK/val.jsonl"
  --set max_steps=12 --set learning_rate=0.002 --set batch_size=8 --set max_seq_len=256
  --set eval_every=6 --set log_every=3 --set warmup_steps=2 --set seed=3)

echo "== full reward model"
"$CHOSEI" reward train "${COMMON[@]}" --set out="$WORK/full" --set center_rewards=0.01
/usr/bin/python3 - "$WORK/full" <<'PY'
import json, sys
run = sys.argv[1]
cfg = json.load(open(f"{run}/final/config.json"))
assert cfg["architectures"] == ["LlamaForSequenceClassification"], cfg["architectures"]
assert cfg["num_labels"] == 1 and "pad_token_id" in cfg and "reward_std" in cfg, cfg
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
evals = [l["step"] for l in lines if "eval_accuracy" in l]
assert evals == [0, 6, 12], evals
train = [l for l in lines if "accuracy" in l and "eval_loss" not in l]
assert train and all(k in train[-1] for k in ("margin", "chosen_reward", "rejected_reward")), train[-1]
assert "accuracy" in open(f"{run}/report.html").read()
PY
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
with open(f"{work}/score.jsonl", "w") as f:
    for l in open(f"{work}/val.jsonl"):
        r = json.loads(l)
        f.write(json.dumps({"messages": r["input"]["messages"] + r["preferred_output"]}) + "\n")
    for l in open(f"{work}/val.jsonl"):
        r = json.loads(l)
        f.write(json.dumps({"messages": r["input"]["messages"] + r["non_preferred_output"]}) + "\n")
    f.write(json.dumps({"prompt": "Once upon a time", "completion": " there was a kettle."}) + "\n")
PY
"$CHOSEI" reward score --model "$WORK/full/final" --jsonl "$WORK/score.jsonl" --ids >"$WORK/scored.jsonl"
/usr/bin/python3 "$ROOT/tests/reference/reward_reference.py" score "$WORK/full/final" "$WORK/scored.jsonl" >"$WORK/ref.txt"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
ours = [json.loads(l)["reward"] for l in open(f"{work}/scored.jsonl")]
ref = [float(l) for l in open(f"{work}/ref.txt")]
assert len(ours) == len(ref) == 49, (len(ours), len(ref))
worst = max(abs(a - b) for a, b in zip(ours, ref))
assert worst < 1e-4, worst
print(f"reward score vs PyTorch over final/: {len(ours)} answers, max |difference| {worst:.2e}")
PY
"$CHOSEI" reward eval --model "$WORK/full/final" --data "$WORK/val.jsonl" --json \
  --report "$WORK/eval.html" >"$WORK/eval.json"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
r = json.load(open(f"{w}/eval.json"))
for k in ("pairs", "accuracy", "mean_margin", "ece", "accuracy_ci95", "shorter_answer_wins",
          "longer_answer_wins", "calibration", "by_length"):
    assert k in r, k
assert r["pairs"] == 24 and len(r["calibration"]) == 10, r
ref = [float(l) for l in open(f"{w}/ref.txt")]  # PyTorch: 24 chosen, 24 rejected, 1 raw
margins = [ref[i] - ref[24 + i] for i in range(24)]
assert abs(r["accuracy"] - sum(m > 0 for m in margins) / 24) < 1e-9, (r["accuracy"], margins)
assert abs(r["mean_margin"] - sum(margins) / 24) < 1e-4, (r["mean_margin"], sum(margins) / 24)
pairs = [json.loads(l) for l in open(f"{w}/val.jsonl")]
size = lambda side: len(side[0]["content"].encode())
short = sum(1.0 if size(p["preferred_output"]) < size(p["non_preferred_output"]) else
            0.5 if size(p["preferred_output"]) == size(p["non_preferred_output"]) else 0.0 for p in pairs) / 24
assert abs(r["shorter_answer_wins"] - short) < 1e-9 and abs(r["longer_answer_wins"] - (1 - short)) < 1e-9, r
print(f"reward eval: accuracy {r['accuracy']:.3f} and margin agree with the PyTorch rewards")
PY
grep -q "<svg" "$WORK/eval.html"

echo "== LoRA reward model"
before=$(sha256sum "$BASE"/* | sha256sum)
"$CHOSEI" reward train "${COMMON[@]}" --set out="$WORK/lora" --set lora.r=4 --set lora.alpha=8 \
  --set lora.dropout=0 --set learning_rate=0.01
[ "$before" = "$(sha256sum "$BASE"/* | sha256sum)" ] || { echo "the base model changed"; exit 1; }
/usr/bin/python3 - "$WORK/lora/final" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0])
d = sys.argv[1]
cfg = json.load(open(f"{d}/adapter_config.json"))
assert cfg["task_type"] == "SEQ_CLS" and "score" in cfg["modules_to_save"], cfg
PY
/usr/bin/python3 -c "
import sys; sys.path.insert(0, '$ROOT/tests/reference')
from llama_reference import read_safetensors
t = read_safetensors('$WORK/lora/final/adapter_model.safetensors')
assert 'base_model.model.score.weight' in t, sorted(t)
assert any(k.endswith('lora_A.weight') for k in t)"
"$CHOSEI" lora merge --base "$BASE" --adapter "$WORK/lora/final" --out "$WORK/merged"
"$CHOSEI" reward score --model "$WORK/lora/final" --jsonl "$WORK/score.jsonl" >"$WORK/lora_scores.jsonl"
"$CHOSEI" reward score --model "$WORK/merged" --jsonl "$WORK/score.jsonl" >"$WORK/merged_scores.jsonl"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
a = [json.loads(l)["reward"] for l in open(f"{w}/lora_scores.jsonl")]
b = [json.loads(l)["reward"] for l in open(f"{w}/merged_scores.jsonl")]
worst = max(abs(x - y) for x, y in zip(a, b))
assert worst < 1e-4, worst
assert max(a) - min(a) > 1e-3, "the adapter scores everything alike"
print(f"merged LoRA reward model vs adapter: max |difference| {worst:.2e}")
PY
"$CHOSEI" reward eval --model "$WORK/full/final" --baseline "$WORK/lora/final" --data "$WORK/val.jsonl" \
  --json --report "" >"$WORK/eval_baseline.json"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
r = json.load(open(f"{w}/eval_baseline.json"))
lora = [json.loads(l)["reward"] for l in open(f"{w}/lora_scores.jsonl")]
expected = sum(lora[i] > lora[24 + i] for i in range(24)) / 24
assert abs(r["baseline_accuracy"] - expected) < 1e-9, (r["baseline_accuracy"], expected)
print(f"--baseline: {expected:.3f}, as the LoRA model's own scores give")
PY

echo "== SIGKILL after a checkpoint, then resume_from=auto"
RESUME=(--set save_every=4 --set keep_checkpoints=3 --set eval_every=0 --set max_steps=24)
"$CHOSEI" reward train "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/straight" >/dev/null 2>&1
"$CHOSEI" reward train "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/killed" >/dev/null 2>&1 &
kill_after_checkpoint $! "$WORK/killed" 4
"$CHOSEI" reward train "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/killed" --set resume_from=auto 2>&1 |
  grep -i "resum" || true
cmp "$WORK/straight/final/model.safetensors" "$WORK/killed/final/model.safetensors"
echo "resumed run equals the uninterrupted one byte for byte"

echo "== data commands on preference files"
printf '%s\n' '{"prompt": "a", "chosen": " b", "rejected": " b"}' '{"prompt": "a", "chosen": "", "rejected": " c"}' \
  '{"prompt": "a", "chosen": ' >"$WORK/bad.jsonl"
if "$CHOSEI" data validate "$WORK/bad.jsonl" >"$WORK/bad.txt"; then echo "validate passed a bad file"; exit 1; fi
grep -q "identical_answers: 1" "$WORK/bad.txt" && grep -q "empty_answer: 1" "$WORK/bad.txt" &&
  grep -q "bad.jsonl:3: invalid_json" "$WORK/bad.txt"
"$CHOSEI" data validate "$WORK/train.jsonl" --tokenizer "$BASE" --max-tokens 64 --json >"$WORK/v.json" || true
/usr/bin/python3 -c "import json; r=json.load(open('$WORK/v.json')); assert r['pairs']==96 and r['pairs_over_max_seq_len']>0, r"
"$CHOSEI" data convert "$WORK/train.jsonl" --to trl --out "$WORK/trl.jsonl"
"$CHOSEI" data convert "$WORK/trl.jsonl" --to openai-dpo --out "$WORK/back.jsonl"
"$CHOSEI" data convert "$WORK/train.jsonl" --to kto --out "$WORK/kto.jsonl"
[ "$(wc -l <"$WORK/kto.jsonl")" -eq 192 ]
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
a = [json.loads(l) for l in open(f"{w}/train.jsonl")]
b = [json.loads(l) for l in open(f"{w}/back.jsonl")]
for x, y in zip(a, b):
    for k in ("input", "preferred_output", "non_preferred_output"):
        assert x[k] == y[k], (x[k], y[k])
print("openai-dpo -> trl -> openai-dpo round trip is exact")
PY
"$CHOSEI" data stats "$WORK/kto.jsonl" --tokenizer "$BASE" | grep -q "96 desirable"
echo "reward end to end: OK"
