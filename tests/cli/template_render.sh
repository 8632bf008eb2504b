#!/usr/bin/env bash
# `chosei template render` as a user runs it, on the real tokenizers of the models cache
# (Qwen3, Llama 3.1, Gemma 3, GPT-4o's where it has a template): the text equals
# transformers' tokenizer.apply_chat_template(tokenize=False) and --ids equals
# apply_chat_template(tokenize=True), with and without the generation prompt, with tools,
# tool calls and tool results; a template's raise_exception and bad input exit non-zero
# with one line naming the cause.
set -euo pipefail
CHOSEI="$1"
MODELS="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}"
REFERENCE_PY="${CHOSEI_REFERENCE_ENV:-$HOME/.cache/chosei/reference-env}/bin/python"
[ -x "$REFERENCE_PY" ] || { echo "reference environment missing (scripts/setup); skipped"; exit 77; }
[ -d "$MODELS/tokenizers" ] || { echo "models cache missing (scripts/setup); skipped"; exit 77; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$REFERENCE_PY" - "$CHOSEI" "$MODELS/tokenizers" "$WORK" <<'PY'
import json, os, subprocess, sys
from transformers import AutoTokenizer

chosei, tokenizers, work = sys.argv[1:4]
TOOLS = [{"type": "function", "function": {
    "name": "get_order_status", "description": "Look up an order's status.",
    "parameters": {"type": "object", "properties": {
        "order_id": {"type": "string", "description": "The order number"}},
        "required": ["order_id"]}}}]
CONVERSATIONS = {
    "one_turn": [{"role": "user", "content": "How do I return a kettle?"}],
    "system_multi": [
        {"role": "system", "content": "You are a support agent for Kumo. Answer in one line."},
        {"role": "user", "content": "Hi <b>there</b> {{ 7 * 7 }}"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "My order 1234 has not arrived.\nCan you check? 日本語 ✓"}],
    "tool_calls": [
        {"role": "user", "content": "Where is order A-17?"},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {
            "name": "get_order_status", "arguments": {"order_id": "A-17"}}}]},
        {"role": "tool", "name": "get_order_status", "content": "{\"status\": \"shipped\"}"},
        {"role": "assistant", "content": "Order A-17 has shipped."}],
}

def run(args):
    return subprocess.run([chosei, "template", "render"] + args, capture_output=True, text=True)

checked = 0
for name in sorted(os.listdir(tokenizers)):
    path = os.path.join(tokenizers, name)
    tok = AutoTokenizer.from_pretrained(path)
    if not tok.chat_template:
        print(f"{name}: no chat template")
        continue
    for case, messages in CONVERSATIONS.items():
        for tools in ((None, TOOLS) if case == "tool_calls" else (None,)):
            for gen in (False, True):
                kwargs = dict(tools=tools, add_generation_prompt=gen)
                try:
                    expected = tok.apply_chat_template(messages, tokenize=False, **kwargs)
                except Exception as e:  # the template refuses the conversation
                    expected = e
                mfile = os.path.join(work, "messages.json")
                json.dump(messages, open(mfile, "w"))
                args = ["--model", path, "--messages", mfile]
                if tools:
                    tfile = os.path.join(work, "tools.json")
                    json.dump(tools, open(tfile, "w"))
                    args += ["--tools", tfile]
                if gen:
                    args.append("--add-generation-prompt")
                label = f"{name} {case} tools={bool(tools)} gen={gen}"
                got = run(args)
                if isinstance(expected, Exception):
                    assert got.returncode != 0, f"{label}: rendered where transformers raised {expected}"
                    assert str(expected) in got.stderr, f"{label}: {got.stderr!r} lacks {expected}"
                    checked += 1
                    continue
                assert got.returncode == 0, f"{label}: {got.stderr}"
                assert got.stdout == expected, f"{label}:\n{got.stdout!r}\n!=\n{expected!r}"
                ids = tok.apply_chat_template(messages, tokenize=True, **kwargs)
                if hasattr(ids, "keys"):
                    ids = ids["input_ids"]
                got_ids = run(args + ["--ids"])
                assert got_ids.returncode == 0, f"{label} --ids: {got_ids.stderr}"
                assert json.loads(got_ids.stdout) == list(ids), f"{label}: ids differ"
                checked += 1
print(f"{checked} renderings equal to apply_chat_template (text and ids)")
assert checked >= 20, checked

# Bad input: one line naming the file or option, a non-zero exit.
bad = os.path.join(work, "bad.json")
open(bad, "w").write("{\"role\": \"user\"}")
got = run(["--model", os.path.join(tokenizers, "qwen3"), "--messages", bad])
assert got.returncode != 0 and "bad.json" in got.stderr and "array" in got.stderr, got.stderr
assert got.stderr.count("\n") == 1, got.stderr
tpl = os.path.join(work, "broken.jinja")
open(tpl, "w").write("line one\n{% for m in messages %}{{ m.content }\n{% endfor %}")
json.dump([], open(os.path.join(work, "empty.json"), "w"))
got = run(["--template", tpl, "--messages", os.path.join(work, "empty.json")])
assert got.returncode != 0 and "line 2" in got.stderr, got.stderr
print("bad input refused with one line")
PY
