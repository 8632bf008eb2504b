#!/usr/bin/env bash
# Catastrophic forgetting, measured and countered on the real SmolLM2-135M-Instruct (the models
# cache's GGUF, in bf16): LoRA SFT on Bitext customer-support conversations raises the loss on
# general instructions it was not tuned on (LLaMA-Factory's Alpaca demo, a held-out part), as
# `chosei eval --general --baseline` reports it ("forgetting"); the same run with `mix` (other
# Alpaca examples blended in at mix_share) forgets less.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
MODELS="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}"
GGUF="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
CSV="$DATA/sft_customer_support_bitext/Bitext_Sample_Customer_Support_Training_Dataset.csv"
ALPACA="$DATA/llamafactory_sft/alpaca_en_demo.json"
[ -f "$CSV" ] && [ -f "$ALPACA" ] || { echo "shared data not found; skipped"; exit 77; }
[ -f "$GGUF" ] || { echo "models cache: $GGUF missing (scripts/setup); skipped"; exit 77; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$CHOSEI" model import --format gguf --weights "$GGUF" --out "$WORK/smollm2" --dtype bf16 >/dev/null
/usr/bin/python3 "$ROOT/tests/reference/bitext_conversations.py" "$CSV" "$WORK/domain.jsonl" 48
head -n 16 "$WORK/domain.jsonl" >"$WORK/domain16.jsonl"
# Alpaca rows with short answers: 200 to blend in, 24 others held out for the measurement.
/usr/bin/python3 - "$ALPACA" "$WORK" <<'PY'
import json, sys
rows = [r for r in json.load(open(sys.argv[1])) if len(r["output"]) <= 500]
def write(path, part):
    with open(path, "w") as f:
        for r in part:
            user = r["instruction"] + ("\n\n" + r["input"] if r["input"] else "")
            f.write(json.dumps({"messages": [{"role": "user", "content": user},
                                             {"role": "assistant", "content": r["output"]}]}) + "\n")
write(sys.argv[2] + "/general_train.jsonl", rows[:200])
write(sys.argv[2] + "/general_heldout.jsonl", rows[200:224])
PY
sft() {  # $1 out dir, then extra --set arguments
  local out="$1"
  shift
  "$CHOSEI" sft --set model="$WORK/smollm2" --set train="$WORK/domain.jsonl" --set out="$WORK/$out" \
    --set lora.r=16 --set lora.alpha=32 --set lora.dropout=0 --set learning_rate=0.002 \
    --set batch_size=4 --set max_steps=20 --set max_seq_len=128 --set seed=2 --set log_every=0 \
    "$@" 2>"$WORK/$out.log" || {
    cat "$WORK/$out.log"
    exit 1
  }
}
sft plain
sft mixed --set mix="$WORK/general_train.jsonl" --set mix_share=0.5
grep -q "^mix: 4[0-9] examples of $WORK/general_train.jsonl blended in, 50% of 9[0-9]" "$WORK/mixed.log" || {
  cat "$WORK/mixed.log"
  exit 1
}
forgetting() {
  "$CHOSEI" eval --model "$WORK/$1/final" --baseline "$WORK/smollm2" --data "$WORK/domain16.jsonl" \
    --general "$WORK/general_heldout.jsonl" --max-examples 0 --json >"$WORK/$1.eval.json"
}
forgetting plain
forgetting mixed
/usr/bin/python3 - "$WORK/plain.eval.json" "$WORK/mixed.eval.json" <<'PY'
import json, sys
plain, mixed = (json.load(open(p)) for p in sys.argv[1:])
for name, r in (("without mix", plain), ("with mix 0.5", mixed)):
    print("%-13s domain loss %.3f (base %.3f)  general loss %.3f (base %.3f)  forgetting %+.3f" % (
        name, r["model"]["loss"], r["baseline"]["loss"], r["model"]["general_loss"],
        r["baseline"]["general_loss"], r["forgetting"]))
    assert abs(r["forgetting"] - (r["model"]["general_loss"] - r["baseline"]["general_loss"])) < 1e-9
    assert r["model"]["loss"] < r["baseline"]["loss"] - 0.2, "the domain was not learned"
assert plain["forgetting"] > 0.01, "domain fine-tuning forgot nothing measurable"
assert mixed["forgetting"] < plain["forgetting"] - 0.01, "mixing general data did not reduce forgetting"
print("ok  forgetting measured by chosei eval --general, reduced by mix")
PY
if "$CHOSEI" sft --set model="$WORK/smollm2" --set train="$WORK/domain.jsonl" --set out="$WORK/bad" \
  --set mix_share=0.2 2>"$WORK/bad.err"; then
  echo "mix_share without mix was accepted"
  exit 1
fi
grep -q 'config key "mix_share" needs "mix"' "$WORK/bad.err" || {
  cat "$WORK/bad.err"
  exit 1
}
echo "ok  $(tail -n 1 "$WORK/bad.err")"
