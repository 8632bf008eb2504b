#!/usr/bin/env bash
# `chosei serve --weights bf16|q8_0` and `--kv-cache f16` as a user runs them: the server
# decodes the packed copy alone (or keeps fp16 keys and values), and a greedy completion over
# HTTP equals `chosei generate` with the same options token for token — for a short prompt (the engine's own prefill) and a long one
# (32+ tokens: LibTorch's GEMM on a widened copy) — and a server holding a ~19M-parameter
# model as q8_0 uses at least half the fp32 weights' bytes less memory than one holding f32.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MODEL="$ROOT/../shared/data/derived_hf_llama_stories260K"
[ -d "$MODEL" ] || { echo "stories260K missing; skipped"; exit 77; }
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
SHORT="Once upon a time"
LONG="Lily and Ben went to the park. They saw a big dog and a little cat. The dog was happy and the cat was sad. Lily wanted to"

serve() {  # $1: decoding options ("--weights q8_0", "--kv-cache f16") or "", $2: model dir (default stories260K)
  local args=()
  read -r -a args <<<"$1"
  "$CHOSEI" serve --model s="${2:-$MODEL}" --port 0 --threads 1 --no-filters "${args[@]}" >"$WORK/serve.log" 2>&1 &
  PID=$!
  # Up to 60 s: beside other tests on 2 cores, loading and packing a model can take a while.
  for _ in $(seq 1 600); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
  BASE=$(sed -n 's/^listening on //p' "$WORK/serve.log")
  [ -n "$BASE" ] || { echo "serve $1 did not listen within 60 s:"; cat "$WORK/serve.log"; exit 1; }
}
stop() {
  kill -TERM "$PID"
  wait "$PID" || { echo "server exited with $?"; cat "$WORK/serve.log"; exit 1; }
  PID=""
}
completion() {  # $1 prompt -> the completion's text
  curl -sf "$BASE/v1/completions" -H 'Content-Type: application/json' \
    -d "$(/usr/bin/python3 -c 'import json,sys; print(json.dumps({"model": "s", "prompt": sys.argv[1], "max_tokens": 24, "temperature": 0}))' "$1")" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["text"])'
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }

# The same with fp32 weights and an fp16 KV cache (`--kv-cache f16`): the server's batched
# prefill stores and reads the cache as generate's path does.
for options in "--weights bf16" "--weights q8_0" "--kv-cache f16"; do
  serve "$options"
  read -r -a opts <<<"$options"
  for prompt in "$SHORT" "$LONG"; do
    got=$(completion "$prompt")
    want=$("$CHOSEI" generate --model "$MODEL" --prompt "$prompt" --temperature 0 --max-new-tokens 24 \
      "${opts[@]}" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])')
    [ "$got" = "$want" ] || { echo "$options: served '$got', generate '$want'"; exit 1; }
    [ -n "$got" ] || { echo "$options: empty completion"; exit 1; }
  done
  stop
  echo "ok  $options: served greedy completions equal chosei generate's"
done

# Memory: the same random model served from f32 and from q8_0 (fp32 parameters freed).
cat >"$WORK/config.json" <<'JSON'
{"model_type": "llama", "hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 6,
 "num_attention_heads": 8, "num_key_value_heads": 8, "max_position_embeddings": 512,
 "rms_norm_eps": 1e-5, "tie_word_embeddings": true, "vocab_size": 512}
JSON
"$CHOSEI" model init --config "$WORK/config.json" --tokenizer "$MODEL" --out "$WORK/m19" >/dev/null
weight_kb=$(($(stat -c %s "$WORK/m19/model.safetensors") / 1024))
for weights in "" q8_0; do
  serve "${weights:+--weights $weights}" "$WORK/m19"
  completion "$SHORT" >/dev/null
  rss=$(rss_kb)
  [ -z "$weights" ] && f32_rss=$rss || q8_rss=$rss
  stop
done
echo "server RSS: f32 $f32_rss kB, q8_0 $q8_rss kB (fp32 weights $weight_kb kB)"
[ $((f32_rss - q8_rss)) -ge $((weight_kb / 2)) ] || { echo "q8_0 serving should hold at least $((weight_kb / 2)) kB less"; exit 1; }
