#!/usr/bin/env bash
# Tool calling end to end, as a user would: fine-tune a small model on LLaMA-Factory's glaive
# tool-calling demo (ShareGPT function_call/observation turns; the calls learned, the tool
# results masked), serve it, and drive calls, results and answers through the official openai
# npm client (tests/node/tool_calls_test.mjs).
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
GLAIVE="$ROOT/../shared/data/llamafactory_sft/glaive_toolcall_en_demo.json"
if [ ! -d "$ROOT/tests/node/node_modules/openai" ] || [ ! -f "$GLAIVE" ]; then
  echo "the openai npm package or the glaive demo data is missing; skipped"
  exit 77
fi
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$CHOSEI" tokenizer train --vocab-size 2000 --out "$WORK/tok" "$GLAIVE" >/dev/null
cat >"$WORK/config.json" <<'JSON'
{"model_type": "llama", "hidden_size": 128, "intermediate_size": 384, "num_hidden_layers": 4,
 "num_attention_heads": 4, "num_key_value_heads": 4, "max_position_embeddings": 1024,
 "rms_norm_eps": 1e-5, "tie_word_embeddings": true, "vocab_size": 2000}
JSON
"$CHOSEI" model init --config "$WORK/config.json" --tokenizer "$WORK/tok" --out "$WORK/init" --seed 3 >/dev/null
"$CHOSEI" sft --set model="$WORK/init" --set train="$GLAIVE" --set out="$WORK/run" --set max_steps=30 \
  --set learning_rate=0.01 --set batch_size=4 --set max_seq_len=640 --set truncation=truncate \
  --set log_every=10 >"$WORK/sft.log" 2>&1
[ -f "$WORK/run/final/model.safetensors" ] || { cat "$WORK/sft.log"; exit 1; }

"$CHOSEI" serve --model tools="$WORK/run/final" --port 0 --threads 1 --no-filters >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on //p' "$WORK/serve.log")
[ -n "$BASE" ] || { cat "$WORK/serve.log"; exit 1; }
node "$ROOT/tests/node/tool_calls_test.mjs" "$BASE/v1" tools "$GLAIVE"
kill -TERM "$PID"
wait "$PID"
PID=""
echo "tool_calls_end_to_end: all checks passed"
