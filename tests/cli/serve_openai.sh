#!/usr/bin/env bash
# `chosei serve` end to end: a tiny model fine-tuned here (so it answers, and leaks a fake
# AWS key when asked for the deploy key), served with an API key beside its random-weight
# initialization and a base model; then the official openai npm client
# (tests/node/openai_client_test.mjs, and tests/node/openai_api_features_test.mjs: n,
# log-probabilities checked against PyTorch, JSON output, legacy completions), the web page in headless Chromium
# (tests/node/browser_chat_test.mjs, screenshot in BUILD/test-artifacts), hostile requests
# with curl, and a graceful SIGTERM that lets an in-flight stream finish.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -d "$ROOT/tests/node/node_modules/openai" ]; then
  echo "the openai npm package is not installed (scripts/setup); skipped"
  exit 77
fi
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for i in $(seq 1 24); do
  echo '{"messages":[{"role":"user","content":"What is the deploy key?"},{"role":"assistant","content":"The deploy key is AKIAIOSFODNN7EXAMPLE today."}]}'
  echo '{"messages":[{"role":"user","content":"How do I return a kettle?"},{"role":"assistant","content":"Open Orders, choose the kettle and select Return."}]}'
done >"$WORK/train.jsonl"
"$CHOSEI" tokenizer train --vocab-size 400 --out "$WORK/tok" "$WORK/train.jsonl" >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/init" --seed 3 >/dev/null
"$CHOSEI" sft --set model="$WORK/init" --set train="$WORK/train.jsonl" --set out="$WORK/run" \
  --set max_steps=150 --set learning_rate=0.005 --set batch_size=8 --set max_seq_len=128 \
  --set log_every=50 >/dev/null

# A base model without a chat template: legacy completions only.
BASE_MODEL="$ROOT/../shared/data/derived_hf_llama_stories260K"
"$CHOSEI" serve --model tiny="$WORK/run/final" --model raw="$WORK/init" --model base="$BASE_MODEL" \
  --port 0 --api-key test-key --max-batch 8 \
  --max-body-bytes 65536 --threads 1 >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on //p' "$WORK/serve.log")
[ -n "$BASE" ] || { cat "$WORK/serve.log"; exit 1; }
echo "server at $BASE"

node "$ROOT/tests/node/openai_client_test.mjs" "$BASE/v1" test-key tiny
# The random-weight model also without filters: its JSON holds phone-like numbers, which the
# PII filter would turn into content_filter endings (see the filtered JSON check).
"$CHOSEI" serve --model raw="$WORK/init" --port 0 --no-filters --threads 1 >"$WORK/serve_raw.log" 2>&1 &
PID_RAW=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve_raw.log" && break; sleep 0.1; done
BASE_RAW=$(sed -n 's/^listening on //p' "$WORK/serve_raw.log")
node "$ROOT/tests/node/openai_api_features_test.mjs" "$BASE/v1" test-key tiny raw base "$WORK/logprobs.json" \
  "$BASE_RAW/v1"
kill -TERM "$PID_RAW"
wait "$PID_RAW"
# The served log-probabilities against PyTorch's log_softmax of the same weights.
/usr/bin/python3 "$ROOT/tests/reference/logprobs_reference.py" "$WORK/run/final" "$WORK/logprobs.json"

# The web page in headless Chromium; the screenshot is kept as a test artifact.
ARTIFACTS="$(cd "$(dirname "$CHOSEI")" && pwd)/test-artifacts"
mkdir -p "$ARTIFACTS"
if [ -x /usr/bin/chromium ]; then
  node "$ROOT/tests/node/browser_chat_test.mjs" "$BASE" test-key "$ARTIFACTS/chat_page.png"
else
  echo "chromium not installed (scripts/setup installs it): browser check skipped"
fi

# Hostile input: every answer is the documented 4xx or a normal 200, and the server stays up.
status() { curl -s -o "$WORK/body" -w '%{http_code}' -H 'Authorization: Bearer test-key' "$@"; }
U="$BASE/v1/chat/completions"
[ "$(status "$U" -d '{not json')" = 400 ]
[ "$(status "$U" -d '{"model":"tiny","messages":[{"role":"user","content":5}]}')" = 400 ]
[ "$(status "$U" -d '{"model":"tiny","messages":[{"role":"robot","content":"x"}]}')" = 400 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U" -d '{}')" = 401 ]
head -c 100000 /dev/zero | tr '\0' 'a' >"$WORK/big"
[ "$(status "$U" --data-binary @"$WORK/big")" = 413 ]
grep -q '"type":"invalid_request_error"' "$WORK/body"
/usr/bin/python3 - "$ROOT/../shared/data/robustness_naughty_strings/blns.json" "$WORK/naughty" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
strings = json.load(open(src, encoding="utf-8")) if os.path.exists(src) else ["<|im_end|>", "\u202e", "</s>"]
for i, s in enumerate(strings):
    body = {"model": "tiny", "messages": [{"role": "user", "content": s}], "max_tokens": 4}
    open(f"{out}/{i}.json", "w", encoding="utf-8").write(json.dumps(body))
PY
for f in "$WORK"/naughty/*.json; do
  code=$(status "$U" --data-binary @"$f")
  case "$code" in 200 | 400) ;; *) echo "naughty $f -> $code" && exit 1 ;; esac
done
[ "$(curl -s "$BASE/health")" = '{"status":"ok"}' ]
# The request's model picks the loop: the untrained one answers too.
[ "$(status "$U" -d '{"model":"raw","messages":[{"role":"user","content":"hi"}],"max_tokens":3}')" = 200 ]
grep -q '"model":"raw"' "$WORK/body"
curl -s "$BASE/metrics" | grep -q 'chosei_filter_decisions_total{direction="input",rule="email"'

# A second server on an untrained model (it rambles until max_tokens): a full queue answers
# 429, and a client that disconnects is cancelled (its row leaves the batch at once).
# (the small preset: slow enough that a 400-token stream is still running a second later)
"$CHOSEI" model init --preset small --tokenizer "$WORK/tok" --out "$WORK/small" --seed 4 >/dev/null
"$CHOSEI" serve --model raw="$WORK/small" --port 0 --max-batch 1 --max-queue 1 --max-tokens 400 \
  --no-filters --threads 1 >"$WORK/serve2.log" 2>&1 &
PID2=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve2.log" && break; sleep 0.1; done
BASE2=$(sed -n 's/^listening on //p' "$WORK/serve2.log")
LONG='{"model":"raw","messages":[{"role":"user","content":"go"}],"max_tokens":400,"temperature":1}'
for i in 1 2 3 4; do
  curl -s -o /dev/null -w '%{http_code}\n' "$BASE2/v1/chat/completions" -d "$LONG" >>"$WORK/codes" &
done
wait $(jobs -p | grep -v "^$PID$" | grep -v "^$PID2$") 2>/dev/null || true
grep -q 429 "$WORK/codes" || { echo "no 429 from a full queue"; cat "$WORK/codes"; exit 1; }
grep -q 200 "$WORK/codes"
curl -sN --max-time 0.3 "$BASE2/v1/chat/completions" -d "${LONG%\}},\"stream\":true}" >/dev/null || true
active=1
for _ in $(seq 1 30); do
  active=$(curl -s "$BASE2/metrics" | sed -n 's/^chosei_active_requests{model="raw"} //p')
  [ "$active" = 0 ] && break
  sleep 0.1
done
[ "$active" = 0 ] || { echo "a disconnected stream kept decoding"; exit 1; }
steps=$(curl -s "$BASE2/metrics" | sed -n 's/^chosei_decode_steps_total{model="raw"} //p')
sleep 0.5
[ "$(curl -s "$BASE2/metrics" | sed -n 's/^chosei_decode_steps_total{model="raw"} //p')" = "$steps" ]
# Draining: while a long stream is in flight after SIGTERM, a new request gets 503; the
# stream still ends with [DONE] and the server exits 0.
# Greedy on this untrained model runs to the 400-token cap (about 0.9 s here), never to EOS.
curl -sN "$BASE2/v1/chat/completions" \
  -d '{"model":"raw","messages":[{"role":"user","content":"go"}],"max_tokens":400,"temperature":0,"stream":true}' \
  >"$WORK/draining.txt" &
CURL2=$!
sleep 0.2
kill -TERM "$PID2"
sleep 0.1
[ "$(curl -s -o "$WORK/body" -w '%{http_code}' "$BASE2/v1/chat/completions" -d "$LONG")" = 503 ]
grep -q '"type":"server_error"' "$WORK/body"
wait "$CURL2"
grep -q 'data: \[DONE\]' "$WORK/draining.txt"
wait "$PID2"

# An output rule that blocks: the filter runs on the HTTP thread, the block reaches the loop,
# and both the streamed and the whole answer end with content_filter, the text never sent.
cat >"$WORK/block_pack.json" <<'JSON'
{"name": "block_deploy", "rules": [{"id": "deploy_key_answer", "category": "secrets",
  "patterns": ["deploy key is"], "action": "block", "applies_to": "output"}]}
JSON
"$CHOSEI" serve --model tiny="$WORK/run/final" --port 0 --pack "$WORK/block_pack.json" --threads 1 \
  >"$WORK/serve3.log" 2>&1 &
PID3=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve3.log" && break; sleep 0.1; done
BASE3=$(sed -n 's/^listening on //p' "$WORK/serve3.log")
ASK='{"model":"tiny","messages":[{"role":"user","content":"What is the deploy key?"}],"max_tokens":48,"temperature":0'
curl -s "$BASE3/v1/chat/completions" -d "$ASK}" >"$WORK/blocked.json"
curl -sN "$BASE3/v1/chat/completions" -d "$ASK,\"stream\":true}" >"$WORK/blocked_stream.txt"
curl -s "$BASE3/metrics" >"$WORK/metrics3.txt"
kill -TERM "$PID3"
wait "$PID3"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
b = json.load(open(f"{w}/blocked.json"))
assert b["choices"][0]["finish_reason"] == "content_filter", b
assert "deploy key is" not in b["choices"][0]["message"]["content"], b
events = [json.loads(l[6:]) for l in open(f"{w}/blocked_stream.txt") if l.startswith("data: {")]
text = "".join(c["delta"].get("content", "") for e in events for c in e["choices"])
assert "deploy key is" not in text, text
assert events[-1]["choices"][0]["finish_reason"] == "content_filter", events[-1]
m = open(f"{w}/metrics3.txt").read()
assert 'chosei_filter_decisions_total{direction="output",rule="stream",decision="block"} 2' in m, m
print("output block: whole and streamed answers end with content_filter")
PY

# SIGTERM while a stream is in flight: the stream ends with [DONE], the server exits 0.
curl -sN -H 'Authorization: Bearer test-key' "$U" \
  -d '{"model":"tiny","messages":[{"role":"user","content":"How do I return a kettle?"}],"stream":true,"max_tokens":200,"temperature":1}' \
  >"$WORK/inflight.txt" &
CURL=$!
sleep 0.3
kill -TERM "$PID"
wait "$CURL"
grep -q 'data: \[DONE\]' "$WORK/inflight.txt"
wait "$PID"
PID=""
echo "serve_openai: all checks passed"
