#!/usr/bin/env bash
# `chosei serve` renders each model's own chat template as transformers does: for Qwen3
# (thinking on and off through chat_template_kwargs, and with tools), Llama 3, Gemma 3
# (random weights around the models cache's real tokenizers) and the real SmolLM2-135M-Instruct
# (imported from its GGUF), the prompt ids /tokenize reports and the prompt_tokens a chat
# completion uses equal transformers' apply_chat_template(tokenize=True,
# add_generation_prompt=True) (SmolLM2's from transformers' own GGUF loader); a template's
# raise_exception comes back as a 400 with its message; SmolLM2 answers a question.
set -euo pipefail
CHOSEI="$1"
MODELS="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}"
REFERENCE_PY="${CHOSEI_REFERENCE_ENV:-$HOME/.cache/chosei/reference-env}/bin/python"
SMOL="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -x "$REFERENCE_PY" ] || { echo "reference environment missing (scripts/setup); skipped"; exit 77; }
[ -d "$MODELS/tokenizers" ] && [ -f "$SMOL" ] || { echo "models cache missing (scripts/setup); skipped"; exit 77; }
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

SERVED=()
for name in qwen3 llama3_1 gemma3; do
  "$CHOSEI" model init --preset tiny --tokenizer "$MODELS/tokenizers/$name" --out "$WORK/$name" >/dev/null
  SERVED+=(--model "$name=$WORK/$name")
done
"$CHOSEI" model import --format gguf --weights "$SMOL" --out "$WORK/smollm2" >/dev/null
SERVED+=(--model "smollm2=$WORK/smollm2")

"$CHOSEI" serve "${SERVED[@]}" --port 0 --threads 1 --no-filters >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 900); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on //p' "$WORK/serve.log")
[ -n "$BASE" ] || { echo "serve did not listen within 90 s:"; cat "$WORK/serve.log"; exit 1; }

"$REFERENCE_PY" - "$BASE" "$MODELS" <<'PY'
import json, os, sys, urllib.request, urllib.error
from transformers import AutoTokenizer

base, models = sys.argv[1:3]
reference = {name: AutoTokenizer.from_pretrained(os.path.join(models, "tokenizers", name))
             for name in ("qwen3", "llama3_1", "gemma3")}
reference["smollm2"] = AutoTokenizer.from_pretrained(
    models, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")

def post(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

TOOLS = [{"type": "function", "function": {
    "name": "get_order_status", "description": "Look up an order's status.",
    "parameters": {"type": "object", "properties": {
        "order_id": {"type": "string", "description": "The order number"}},
        "required": ["order_id"]}}}]
CONVERSATIONS = {
    "one_turn": [{"role": "user", "content": "What is the capital of France?"}],
    "system_multi": [
        {"role": "system", "content": "You are a support agent for Kumo. Answer in one line."},
        {"role": "user", "content": "Hi <b>there</b>"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "My order 1234 has not arrived.\nCan you check? 日本語 ✓"}],
    "tool_calls": [
        {"role": "user", "content": "Where is order A-17?"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "get_order_status", "arguments": "{\"order_id\": \"A-17\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"status\": \"shipped\"}"}],
}

checked = 0
for model, tok in reference.items():
    for case, messages in CONVERSATIONS.items():
        with_tools = case == "tool_calls"
        if with_tools and model != "qwen3":
            continue
        for kwargs in ([{}, {"enable_thinking": False}, {"enable_thinking": True}]
                       if model == "qwen3" else [{}]):
            body = {"model": model, "messages": messages}
            if kwargs:
                body["chat_template_kwargs"] = kwargs
            if with_tools:
                body["tools"] = TOOLS
            status, got = post("/tokenize", body)
            label = f"{model} {case} {kwargs}"
            assert status == 200, f"{label}: {got}"
            # transformers takes tool-call arguments as objects (the API sends JSON text).
            hf_messages = json.loads(json.dumps(messages))
            for m in hf_messages:
                for c in m.get("tool_calls", []):
                    c["function"]["arguments"] = json.loads(c["function"]["arguments"])
            want = tok.apply_chat_template(hf_messages, tokenize=True, add_generation_prompt=True,
                                           tools=TOOLS if with_tools else None, **kwargs)
            if hasattr(want, "keys"):
                want = want["input_ids"]
            assert got["tokens"] == list(want), (
                f"{label}:\n got  {tok.decode(got['tokens'])!r}\n want {tok.decode(want)!r}")
            assert got["count"] == len(want)
            checked += 1
print(f"{checked} served prompts equal apply_chat_template token for token")

# A chat completion uses the same prompt; the real SmolLM2 answers.
messages = CONVERSATIONS["one_turn"]
status, reply = post("/v1/chat/completions", {"model": "smollm2", "messages": messages,
                                               "max_tokens": 12, "temperature": 0})
assert status == 200, reply
want = reference["smollm2"].apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
if hasattr(want, "keys"):
    want = want["input_ids"]
assert reply["usage"]["prompt_tokens"] == len(want), reply["usage"]
answer = reply["choices"][0]["message"]["content"]
print("SmolLM2:", json.dumps(answer))
assert "Paris" in answer, answer

# Gemma 3's template insists on alternating roles: its own message, as a 400.
status, err = post("/v1/chat/completions", {"model": "gemma3", "max_tokens": 1, "messages": [
    {"role": "user", "content": "a"}, {"role": "user", "content": "b"}]})
assert status == 400 and err["error"]["code"] == "chat_template_error", err
assert "Conversation roles must alternate" in err["error"]["message"], err
status, err = post("/tokenize", {"model": "qwen3", "messages": messages,
                                 "chat_template_kwargs": {"messages": []}})
assert status == 400 and err["error"]["param"] == "chat_template_kwargs", err
status, back = post("/detokenize", {"model": "qwen3", "tokens": [9707, 0]})
assert status == 200 and back["prompt"] == "Hello!", back
print("template refusals and /detokenize as expected")
PY
kill -TERM "$PID"
wait "$PID" || { echo "server exited with $?"; cat "$WORK/serve.log"; exit 1; }
PID=""

# --template: another template for the served models (vLLM's --chat-template), here Qwen2.5's,
# which writes its default system prompt.
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
QWEN25="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}/chat_templates_trl/qwen2_5.jinja"
if [ -f "$QWEN25" ]; then
  "$CHOSEI" serve --model "qwen3=$WORK/qwen3" --template "$QWEN25" --port 0 --threads 1 \
    --no-filters >"$WORK/serve2.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do grep -q "listening on" "$WORK/serve2.log" && break; sleep 0.1; done
  BASE=$(sed -n 's/^listening on //p' "$WORK/serve2.log")
  [ -n "$BASE" ] || { echo "serve --template did not listen:"; cat "$WORK/serve2.log"; exit 1; }
  "$REFERENCE_PY" - "$BASE" "$MODELS" "$QWEN25" <<'PY'
import json, os, sys, urllib.request
from transformers import AutoTokenizer
base, models, template = sys.argv[1:4]
tok = AutoTokenizer.from_pretrained(os.path.join(models, "tokenizers", "qwen3"))
messages = [{"role": "user", "content": "Hi"}]
req = urllib.request.Request(base + "/tokenize", json.dumps({"model": "qwen3", "messages": messages}).encode(),
                             {"Content-Type": "application/json"})
got = json.load(urllib.request.urlopen(req))["tokens"]
want = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True,
                               chat_template=open(template).read())
want = want["input_ids"] if hasattr(want, "keys") else want
assert got == list(want), tok.decode(got)
assert "You are Qwen" in tok.decode(got)
print("serve --template renders the given template")
PY
  kill -TERM "$PID"
  wait "$PID"
  PID=""
fi
