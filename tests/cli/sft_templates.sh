#!/usr/bin/env bash
# `chosei sft` with a real model's own chat template (Qwen3's tokenizer from the models cache
# around random weights): over conversations of several answers Qwen3's template is not
# prefix-preserving, so the run is refused with a message naming the fix; with TRL's
# training template (../shared/data/chat_templates_trl/qwen3_training.jinja, read where it
# lies) it trains, and the model it writes keeps Qwen3's own template, not the training one.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
MODELS="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}"
TRAINING="$DATA/chat_templates_trl/qwen3_training.jinja"
[ -f "$TRAINING" ] || { echo "shared data not found; skipped"; exit 77; }
[ -d "$MODELS/tokenizers/qwen3" ] || { echo "models cache missing (scripts/setup); skipped"; exit 77; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$CHOSEI" model init --preset tiny --tokenizer "$MODELS/tokenizers/qwen3" --out "$WORK/base" >/dev/null
for i in 1 2 3 4 5 6 7 8; do
  echo "{\"messages\": [{\"role\": \"user\", \"content\": \"Where is order $i?\"}, {\"role\": \"assistant\", \"content\": \"Order $i shipped.\"}, {\"role\": \"user\", \"content\": \"When will it arrive?\"}, {\"role\": \"assistant\", \"content\": \"In $i days.\"}]}"
done >"$WORK/train.jsonl"
common=(--set model="$WORK/base" --set train="$WORK/train.jsonl" --set max_steps=2 --set batch_size=4
  --set max_seq_len=128 --set learning_rate=0.001 --set warmup_steps=0 --set log_every=1)

if "$CHOSEI" sft "${common[@]}" --set out="$WORK/refused" 2>"$WORK/refused.err"; then
  echo "sft trained on a template that is not prefix-preserving"
  exit 1
fi
grep -q "prefix-preserving" "$WORK/refused.err" && grep -q -- "--template" "$WORK/refused.err" || {
  echo "the refusal does not name the cause and the fix:"
  cat "$WORK/refused.err"
  exit 1
}
echo "refused: $(tail -n 1 "$WORK/refused.err")"

"$CHOSEI" sft "${common[@]}" --set template="$TRAINING" --set out="$WORK/run" >"$WORK/run.log"
test -f "$WORK/run/final/model.safetensors"
/usr/bin/python3 - "$WORK/base" "$WORK/run/final" <<'PY'
import json, sys
base, final = (json.load(open(d + "/tokenizer_config.json"))["chat_template"] for d in sys.argv[1:3])
assert final == base, "the written model's chat template is not the model's own"
import re
assert not re.search(r"{%-?\s*generation", final)
print("the fine-tuned model keeps Qwen3's own template")
PY
# data stats counts what sft trains on, with the same template.
"$CHOSEI" data stats "$WORK/train.jsonl" --tokenizer "$WORK/base" --template "$TRAINING" --json |
  /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["chat_template"]); assert s["examples"] == 8'
echo "1 passed, 0 failed"
