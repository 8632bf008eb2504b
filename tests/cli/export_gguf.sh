#!/usr/bin/env bash
# `chosei export gguf` against llama.cpp (node-llama-cpp@3.21.1, tests/llama_cpp): the
# exported file loads, and llama.cpp's greedy continuation equals chosei's token for token
# for f32 and f16 on
#   - stories260K (Karpathy's trained Llama, SentencePiece tokenizer.model), and
#   - a Llama, a Qwen2, a Qwen3, a Gemma 3, a Phi-3 (LongRoPE, partial rotary) and a
#     SmolLM3 model fine-tuned here with a BPE tokenizer trained here (byte-level, chat
#     special tokens), through a LoRA adapter merged at export for one of them, and LoRA
#     adapters alone (llama.cpp's LoRA GGUF) applied by llama.cpp for four of them;
#   - a Phi-4-mini-shaped model with the real o200k tokenizer (llama.cpp's "gpt-4o");
# Q8_0 agrees on a stated share of tokens; llama.cpp tokenizes text as chosei does and
# renders the file's chat template to the ids chosei's template gives; `chosei model import
# --format gguf` brings each file back (same greedy ids and tokenization, the same file on
# re-export); both refuse what they cannot handle, naming it.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -d "$ROOT/tests/llama_cpp/node_modules/node-llama-cpp" ]; then
  echo "node-llama-cpp is not installed (scripts/setup); skipped"
  exit 77
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
S260K="$ROOT/../shared/data/derived_hf_llama_stories260K"
K="$ROOT/examples/kumo_support"

llama_cpp() { (cd "$ROOT/tests/llama_cpp" && node gguf_reference.mjs); }

# compare.py MODEL_DIR GGUF MIN_AGREEMENT: runs chosei and llama.cpp on the same prompts and
# checks greedy ids, tokenization and the chat template.
cat >"$WORK/compare.py" <<'PY'
import json, os, subprocess, sys
chosei, model, gguf, min_agree, with_chat = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
reference = sys.argv[6:]
# CHOSEI_WEIGHTS: chosei decodes its own bf16 or q8_0 copy (`--weights`), the file's type.
weights = ["--weights", os.environ["CHOSEI_WEIGHTS"]] if os.environ.get("CHOSEI_WEIGHTS") else []
# CHOSEI_KV: chosei's KV cache type (`--kv-cache`); llama.cpp's is f16.
weights += ["--kv-cache", os.environ["CHOSEI_KV"]] if os.environ.get("CHOSEI_KV") else []
# Prompts from each model's own domain: on text it never saw (Japanese for stories260K) a
# tiny model's next-token distribution is flat, and f16 rounding decides near-ties.
if with_chat == "chat":
    prompts = ["How do I return a kettle?", "Refunds go back", "保証期間は何年ですか？"]
    chats = ["How do I return a kettle?", "How long is the warranty on the KumoAir AP-30?"]
else:
    prompts = ["Once upon a time", "The little dog", "Lily and Ben went to the park", "One day, a big"]
    chats = []
runs = []
for p in prompts:
    runs.append(json.loads(subprocess.check_output([chosei, "generate", "--model", model, "--prompt", p,
        "--temperature", "0", "--max-new-tokens", "40", "--json"] + weights)))
for q in chats:
    runs.append(json.loads(subprocess.check_output([chosei, "generate", "--model", model, "--chat",
        "--prompt", q, "--temperature", "0", "--max-new-tokens", "40", "--json"] + weights)))
texts = prompts + ["How do I return a kettle?", "保証期間は何年ですか？", "Hello, world!\n\tTabs and spaces", "emoji 🙂 and ünïcödé"]
# SentencePiece collapses runs of spaces and drops leading ones (remove_extra_whitespaces),
# llama.cpp's SPM tokenizer does not: a known llama.cpp difference, so only BPE tokenizers see them.
if os.path.exists(os.path.join(model, "tokenizer.json")):
    texts += ["Hello,  world!\n\n  two   spaces", " leading space"]
texts_file = gguf + ".texts.jsonl"
with open(texts_file, "w", encoding="utf-8") as f:
    f.writelines(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
encoded = [json.loads(line)["ids"] for line in subprocess.check_output(
    [chosei, "tokenizer", "encode", "--tokenizer", model, "--jsonl", texts_file, "--no-special"],
    text=True).splitlines()]
request = {"file": gguf, "greedy": [{"ids": r["prompt_ids"], "max_tokens": 40} for r in runs],
           "tokenize": texts, "chat": [[{"role": "user", "content": q}] for q in chats]}
if os.environ.get("LORA_GGUF"):  # a LoRA adapter GGUF applied on the file
    request["lora"] = os.environ["LORA_GGUF"]
out = json.loads(subprocess.run(reference, input=json.dumps(request), capture_output=True,
                                text=True, check=True).stdout)
total = agree = 0
for r, g in zip(runs, out["greedy"]):
    ours = r["ids"]
    n = max(len(ours), len(g))
    same = next((i for i in range(n) if i >= len(ours) or i >= len(g) or ours[i] != g[i]), n)
    total += n
    agree += same  # tokens up to the first difference
    if min_agree >= 1.0 and ours != g:
        sys.exit(f"{gguf}: greedy ids differ after {same} tokens for prompt {r['prompt_ids']}:\n chosei    {ours}\n llama.cpp {g}")
share = agree / total
print(f"{gguf}: greedy agreement {agree}/{total} = {share:.3f} (prefix up to the first difference)")
if share < min_agree:
    sys.exit(f"{gguf}: greedy agreement {share:.3f} below {min_agree}")
for t, ours, theirs in zip(texts, encoded, out["tokenize"]):
    if ours != theirs:
        sys.exit(f"{gguf}: tokenization of {t!r} differs:\n chosei    {ours}\n llama.cpp {theirs}")
for q, r, theirs in zip(chats, runs[len(prompts):], out["chat"]):
    if r["prompt_ids"] != theirs:
        sys.exit(f"{gguf}: chat template renders {q!r} differently:\n chosei    {r['prompt_ids']}\n llama.cpp {theirs}")
print(f"{gguf}: tokenization of {len(texts)} texts and {len(chats)} chat renderings equal")
PY
compare() { /usr/bin/python3 "$WORK/compare.py" "$CHOSEI" "$1" "$2" "$3" "$4" bash -c "cd '$ROOT/tests/llama_cpp' && node gguf_reference.mjs"; }

expect_error() {  # PATTERN COMMAND...: fails with a message containing PATTERN, writes nothing
  local pattern="$1"
  shift
  local out
  if out=$("$@" 2>&1); then
    echo "expected a failure: $*"
    exit 1
  fi
  grep -q -- "$pattern" <<<"$out" || { echo "expected '$pattern' in: $out"; exit 1; }
}

echo "== stories260K (SentencePiece)"
for t in f32 f16; do
  "$CHOSEI" export gguf --model "$S260K" --out "$WORK/s260k-$t.gguf" --type "$t"
  compare "$S260K" "$WORK/s260k-$t.gguf" 1.0 nochat
done
"$CHOSEI" export gguf --model "$S260K" --out "$WORK/s260k-q8_0.gguf" --type q8_0
compare "$S260K" "$WORK/s260k-q8_0.gguf" 0.5 nochat
# chosei decoding its own bf16 / q8_0 weights (`--weights`, the decode engine's kernels)
# against llama.cpp on the file of that type: the same rounded weights (and, for q8_0, the
# same 8-bit rounding of the activations): greedy continuations equal token for token.
"$CHOSEI" export gguf --model "$S260K" --out "$WORK/s260k-bf16.gguf" --type bf16
CHOSEI_WEIGHTS=bf16 compare "$S260K" "$WORK/s260k-bf16.gguf" 1.0 nochat
CHOSEI_WEIGHTS=q8_0 compare "$S260K" "$WORK/s260k-q8_0.gguf" 1.0 nochat
# An f16 KV cache on both sides (llama.cpp's default): f32 weights, the same greedy tokens.
CHOSEI_KV=f16 compare "$S260K" "$WORK/s260k-f32.gguf" 1.0 nochat

echo "== Llama and Qwen2 with a trained byte-level BPE tokenizer"
head -200 "$K/conversations.jsonl" >"$WORK/train.jsonl"
"$CHOSEI" tokenizer train --vocab-size 600 --out "$WORK/tok" "$WORK/train.jsonl" >/dev/null
cat >"$WORK/qwen2.json" <<'JSON'
{"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 160,
 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
 "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": false, "vocab_size": 600}
JSON
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/llama-init" --seed 5 >/dev/null
"$CHOSEI" model init --config "$WORK/qwen2.json" --tokenizer "$WORK/tok" --out "$WORK/qwen2-init" --seed 6 >/dev/null
for arch in llama qwen2; do
  "$CHOSEI" sft --set model="$WORK/$arch-init" --set train="$WORK/train.jsonl" --set out="$WORK/$arch-run" \
    --set max_steps=40 --set learning_rate=0.005 --set batch_size=8 --set max_seq_len=256 \
    --set log_every=60 --set seed=1 >/dev/null
  for t in f32 f16; do
    "$CHOSEI" export gguf --model "$WORK/$arch-run/final" --out "$WORK/$arch-$t.gguf" --type "$t"
    compare "$WORK/$arch-run/final" "$WORK/$arch-$t.gguf" 1.0 chat
  done
done
"$CHOSEI" export gguf --model "$WORK/llama-run/final" --out "$WORK/llama-q8_0.gguf" --type q8_0
compare "$WORK/llama-run/final" "$WORK/llama-q8_0.gguf" 0.5 chat
CHOSEI_WEIGHTS=q8_0 compare "$WORK/llama-run/final" "$WORK/llama-q8_0.gguf" 0.9 chat

echo "== Qwen3, Gemma 3, Phi-3 and SmolLM3 (q/k norms; Gemma's sandwich (1+w) norms, GeGLU, scaled embeddings, sliding windows; Phi's fused projections, partial rotary, LongRoPE)"
cat >"$WORK/qwen3.json" <<'JSON'
{"model_type": "qwen3", "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
 "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 128, "max_position_embeddings": 512,
 "rms_norm_eps": 1e-6, "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0},
 "tie_word_embeddings": true, "vocab_size": 600}
JSON
# head_dim 128, not hidden / heads: transformers' GGUF loader reads no head_dim for Qwen3 and
# takes its default (128, what every Qwen3 has); nor query_pre_attn_scalar for Gemma 3 (its
# default 256, which llama.cpp takes from head_dim: 256 here, as in Gemma 3 up to 12B).
# Six layers: llama.cpp's Gemma 3 makes every sixth layer global; a window of 16 tokens is
# shorter than the prompts and answers compared.
cat >"$WORK/gemma3.json" <<'JSON'
{"model_type": "gemma3_text", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 6,
 "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 256, "query_pre_attn_scalar": 256,
 "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "sliding_window": 16,
 "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
                     "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}},
 "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": true, "vocab_size": 600}
JSON
# Phi-4-mini's shape: fused qkv_proj and gate_up_proj, 3/4 of each head rotated, LongRoPE
# (llama.cpp's context of 512 stays within the original 1024: the short factors, as chosei).
cat >"$WORK/phi3.json" <<'JSON'
{"model_type": "phi3", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
 "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 4096,
 "original_max_position_embeddings": 1024, "partial_rotary_factor": 0.75, "rms_norm_eps": 1e-5,
 "rope_parameters": {"rope_type": "longrope", "rope_theta": 10000.0,
   "short_factor": [1.0, 1.1, 1.2, 1.3, 1.5, 1.7, 2.0, 2.3, 2.6, 3.0, 3.5, 4.0],
   "long_factor": [1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0, 11.0, 16.0, 22.0, 32.0, 45.0]},
 "tie_word_embeddings": true, "vocab_size": 600}
JSON
# SmolLM3: every fourth layer without RoPE, as llama.cpp fixes it.
cat >"$WORK/smollm3.json" <<'JSON'
{"model_type": "smollm3", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4,
 "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
 "rms_norm_eps": 1e-6, "rope_parameters": {"rope_type": "default", "rope_theta": 100000.0},
 "tie_word_embeddings": true, "vocab_size": 600}
JSON
for arch in qwen3 gemma3 phi3 smollm3; do
  "$CHOSEI" model init --config "$WORK/$arch.json" --tokenizer "$WORK/tok" --out "$WORK/$arch-init" --seed 7 >/dev/null
  "$CHOSEI" sft --set model="$WORK/$arch-init" --set train="$WORK/train.jsonl" --set out="$WORK/$arch-run" \
    --set max_steps=40 --set learning_rate=0.005 --set batch_size=8 --set max_seq_len=256 \
    --set log_every=60 --set seed=1 >/dev/null
  "$CHOSEI" export gguf --model "$WORK/$arch-run/final" --out "$WORK/$arch-f32.gguf" --type f32
  compare "$WORK/$arch-run/final" "$WORK/$arch-f32.gguf" 1.0 chat
  "$CHOSEI" model import --format gguf --weights "$WORK/$arch-f32.gguf" --out "$WORK/$arch-back" >/dev/null
  "$CHOSEI" export gguf --model "$WORK/$arch-back" --out "$WORK/$arch-again.gguf" --type f32 --name final >/dev/null
  cmp "$WORK/$arch-f32.gguf" "$WORK/$arch-again.gguf"
done
# Phi-4-mini's tokenizer (o200k, GPT-4o's; the models cache holds it): llama.cpp's "gpt-4o"
# pre-tokenizer reads the file as chosei does, and a model made with it decodes alike.
O200K="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}/tokenizers/gpt4o"
if [ -f "$O200K/tokenizer.json" ]; then
  /usr/bin/python3 - "$WORK/phi3.json" "$WORK/phi4.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.update(vocab_size=200019, num_hidden_layers=1, hidden_size=32,
                                           intermediate_size=64, rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
json.dump(c, open(sys.argv[2], "w"))
PY
  "$CHOSEI" model init --config "$WORK/phi4.json" --tokenizer "$O200K" --out "$WORK/phi4-init" --seed 3 >/dev/null
  "$CHOSEI" export gguf --model "$WORK/phi4-init" --out "$WORK/phi4-f32.gguf" --type f32
  compare "$WORK/phi4-init" "$WORK/phi4-f32.gguf" 1.0 nochat
else
  echo "the gpt4o tokenizer is not in the models cache (scripts/setup): o200k in GGUF not checked"
fi
# RoPE scaling: Llama 3's band-wise scaling travels as rope_freqs.weight, linear as
# llama.rope.scaling.* keys; llama.cpp rotates as chosei does, and the import reads them back.
for scaling in llama3 linear; do
  /usr/bin/python3 - "$WORK/llama-run/final" "$WORK/rope-$scaling" "$scaling" <<'PY'
import json, os, shutil, sys
src, dst, kind = sys.argv[1:4]
shutil.copytree(src, dst)
c = json.load(open(os.path.join(src, "config.json")))
c["rope_parameters"] = {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                        "high_freq_factor": 4.0, "original_max_position_embeddings": 64} if kind == "llama3" \
    else {"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}
json.dump(c, open(os.path.join(dst, "config.json"), "w"))
PY
  "$CHOSEI" export gguf --model "$WORK/rope-$scaling" --out "$WORK/rope-$scaling.gguf" --type f32
  compare "$WORK/rope-$scaling" "$WORK/rope-$scaling.gguf" 1.0 chat
  "$CHOSEI" model import --format gguf --weights "$WORK/rope-$scaling.gguf" --out "$WORK/rope-$scaling-back" >/dev/null
  /usr/bin/python3 - "$WORK/rope-$scaling/config.json" "$WORK/rope-$scaling-back/config.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["rope_parameters"] for p in sys.argv[1:3])
assert all(abs(a[k] - b[k]) < 1e-6 if isinstance(a[k], float) else a[k] == b[k] for k in a), (a, b)
PY
done
# transformers' own GGUF loader reads chosei's exports: its greedy continuation of chosei's
# prompt ids equals chosei's (fp32 on both sides).
REFERENCE_PY="${CHOSEI_REFERENCE_ENV:-$HOME/.cache/chosei/reference-env}/bin/python"
if [ -x "$REFERENCE_PY" ]; then
  for arch in llama qwen2 qwen3 gemma3 phi3; do
    ours=$("$CHOSEI" generate --model "$WORK/$arch-run/final" --chat --prompt "How do I return a kettle?" \
      --temperature 0 --max-new-tokens 24 --json)
    "$REFERENCE_PY" - "$WORK/$arch-f32.gguf" "$ours" <<'PY'
import json, os, sys, torch
from transformers import AutoModelForCausalLM
path, ours = sys.argv[1], json.loads(sys.argv[2])
model = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                             dtype=torch.float32)
ids = torch.tensor([ours["prompt_ids"] + ours["ids"]])
with torch.no_grad():
    logits = model(ids).logits[0, len(ours["prompt_ids"]) - 1:]
# chosei's greedy tokens are transformers' argmax at every step.
out = logits.argmax(-1).tolist()
assert out[:-1] == ours["ids"], f"{path}: transformers {out[:-1]}\n chosei {ours['ids']}"
print(f"{path}: transformers' GGUF loader continues as chosei does ({len(out)} tokens)")
PY
  done
else
  echo "the reference environment is absent (scripts/setup): transformers' GGUF loader not checked"
fi
# What llama.cpp would run otherwise is refused: Gemma 3 layer types off its every-sixth pattern.
/usr/bin/python3 - "$WORK/gemma3-run/final/config.json" "$WORK/gemma3-odd" <<'PY'
import json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(os.path.dirname(src), dst)
c = json.load(open(src)); c["layer_types"] = ["full_attention"] * 6
json.dump(c, open(os.path.join(dst, "config.json"), "w"))
PY
expect_error "layer_types differ" "$CHOSEI" export gguf --model "$WORK/gemma3-odd" --out "$WORK/x.gguf"

echo "== the Q4_K_M and Q5_K_M mixes (K-quants need rows of 256: hidden 256, MLP 512)"
cat >"$WORK/wide.json" <<'JSON'
{"model_type": "llama", "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 4,
 "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
 "rms_norm_eps": 1e-5, "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0},
 "tie_word_embeddings": false, "vocab_size": 600}
JSON
"$CHOSEI" model init --config "$WORK/wide.json" --tokenizer "$WORK/tok" --out "$WORK/wide-init" --seed 8 >/dev/null
"$CHOSEI" sft --set model="$WORK/wide-init" --set train="$WORK/train.jsonl" --set out="$WORK/wide-run" \
  --set max_steps=40 --set learning_rate=0.002 --set batch_size=8 --set max_seq_len=256 \
  --set log_every=60 --set seed=1 >/dev/null
for mix in q4_k_m q5_k_m; do
  "$CHOSEI" export gguf --model "$WORK/wide-run/final" --out "$WORK/wide-$mix.gguf" --type "$mix"
  # chosei on the file's dequantized weights, llama.cpp on the file itself (its K-quant dot
  # products round the activations to 8 bits): the same greedy tokens at 95% of the steps.
  "$CHOSEI" model import --format gguf --weights "$WORK/wide-$mix.gguf" --out "$WORK/wide-$mix-back" >/dev/null
  compare "$WORK/wide-$mix-back" "$WORK/wide-$mix.gguf" 0.95 chat
done
# Phi-3 in the Q4_K_M mix: its fused attn_qkv takes Q5_K, as llama-quantize gives it.
/usr/bin/python3 - "$WORK/wide.json" "$WORK/wide-phi3.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(model_type="phi3", max_position_embeddings=4096, original_max_position_embeddings=1024,
         partial_rotary_factor=0.75, rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0,
         "short_factor": [1.0 + 0.05 * i for i in range(24)], "long_factor": [1.0 + 0.5 * i for i in range(24)]})
json.dump(c, open(sys.argv[2], "w"))
PY
"$CHOSEI" model init --config "$WORK/wide-phi3.json" --tokenizer "$WORK/tok" --out "$WORK/wide-phi3-init" --seed 8 >/dev/null
"$CHOSEI" sft --set model="$WORK/wide-phi3-init" --set train="$WORK/train.jsonl" --set out="$WORK/wide-phi3-run" \
  --set max_steps=40 --set learning_rate=0.002 --set batch_size=8 --set max_seq_len=256 \
  --set log_every=60 --set seed=1 >/dev/null
"$CHOSEI" export gguf --model "$WORK/wide-phi3-run/final" --out "$WORK/wide-phi3-q4_k_m.gguf" --type q4_k_m
GGUF_PY="${CHOSEI_REFERENCE_ENV:-$HOME/.cache/chosei/reference-env}/bin/python"
if [ -x "$GGUF_PY" ]; then  # llama.cpp's own reader says which type each tensor got
  "$GGUF_PY" - "$WORK/wide-phi3-q4_k_m.gguf" <<'PY'
import sys, gguf
types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(sys.argv[1]).tensors}
assert types["blk.1.attn_qkv.weight"] == "Q5_K", types
assert types["blk.1.ffn_up.weight"] == "Q4_K", types
assert types["token_embd.weight"] == "Q4_K" and types["output.weight"] == "Q6_K", types
PY
fi
"$CHOSEI" model import --format gguf --weights "$WORK/wide-phi3-q4_k_m.gguf" --out "$WORK/wide-phi3-back" >/dev/null
compare "$WORK/wide-phi3-back" "$WORK/wide-phi3-q4_k_m.gguf" 0.95 chat

echo "== a LoRA adapter, merged at export"
"$CHOSEI" sft --set model="$WORK/llama-run/final" --set train="$WORK/train.jsonl" --set out="$WORK/lora-run" \
  --set max_steps=20 --set learning_rate=0.01 --set batch_size=8 --set max_seq_len=256 --set lora.r=8 \
  --set log_every=20 --set seed=2 >/dev/null
test -f "$WORK/lora-run/final/adapter_config.json"
"$CHOSEI" export gguf --model "$WORK/lora-run/final" --out "$WORK/lora-f32.gguf" --type f32
compare "$WORK/lora-run/final" "$WORK/lora-f32.gguf" 1.0 chat
# The same adapter named with --adapter on its base gives the same file.
"$CHOSEI" export gguf --model "$WORK/llama-run/final" --adapter "$WORK/lora-run/final" \
  --out "$WORK/lora-f32-b.gguf" --type f32 --name lora-f32 >/dev/null
"$CHOSEI" export gguf --model "$WORK/lora-run/final" --out "$WORK/lora-f32-c.gguf" --type f32 \
  --name lora-f32 >/dev/null
cmp "$WORK/lora-f32-b.gguf" "$WORK/lora-f32-c.gguf"
# Merging changed the weights: the file differs from the base's.
"$CHOSEI" export gguf --model "$WORK/llama-run/final" --out "$WORK/base-f32.gguf" --type f32 \
  --name lora-f32 >/dev/null
if cmp -s "$WORK/base-f32.gguf" "$WORK/lora-f32-b.gguf"; then
  echo "the merged adapter's file equals its base's"
  exit 1
fi

echo "== an adapter alone, as a llama.cpp LoRA GGUF applied on its base's file"
# Trained hard enough to change the greedy answers (q_proj is a target: B's rows of q must
# follow llama.cpp's RoPE order). The trained weights depend on the thread count (CTest runs
# each process on one, OMP_NUM_THREADS=1), and these strongly trained adapters repeat tokens
# whose logits lie close together: run by hand, set OMP_NUM_THREADS=1 as CTest does.
"$CHOSEI" sft --set model="$WORK/llama-run/final" --set train="$WORK/train.jsonl" --set out="$WORK/lora-strong" \
  --set max_steps=30 --set learning_rate=0.05 --set batch_size=8 --set max_seq_len=256 --set lora.r=8 \
  --set lora.alpha=32 --set lora.target_modules=q_proj,k_proj,v_proj,o_proj,up_proj \
  --set log_every=30 --set seed=3 >/dev/null
"$CHOSEI" export gguf --model "$WORK/lora-strong/final" --adapter-only --out "$WORK/lora-adapter-f32.gguf" --type f32
LORA_GGUF="$WORK/lora-adapter-f32.gguf" compare "$WORK/lora-strong/final" "$WORK/base-f32.gguf" 1.0 chat
"$CHOSEI" export gguf --model "$WORK/llama-run/final" --out "$WORK/base-f16.gguf" --type f16 >/dev/null
"$CHOSEI" export gguf --model "$WORK/llama-run/final" --adapter "$WORK/lora-strong/final" --adapter-only \
  --out "$WORK/lora-adapter-f16.gguf" --type f16
LORA_GGUF="$WORK/lora-adapter-f16.gguf" compare "$WORK/lora-strong/final" "$WORK/base-f16.gguf" 1.0 chat
# Without the adapter llama.cpp answers otherwise: the adapter is what made them equal.
if /usr/bin/python3 "$WORK/compare.py" "$CHOSEI" "$WORK/lora-strong/final" "$WORK/base-f32.gguf" 1.0 chat \
  bash -c "cd '$ROOT/tests/llama_cpp' && node gguf_reference.mjs" >/dev/null 2>&1; then
  echo "the base alone answers as the adapted model: the adapter test proves nothing"
  exit 1
fi
expect_error "holds no LoRA adapter" "$CHOSEI" export gguf --model "$WORK/llama-run/final" --adapter-only --out "$WORK/x.gguf"
# The same for Qwen3 (q/k norms), Gemma 3 (sandwich norms, windows) and Phi-3 (the fused
# qkv_proj and gate_up_proj carry one adapter each, as llama.cpp's attn_qkv and ffn_up).
for arch in qwen3 gemma3 phi3; do
  targets=q_proj,k_proj,v_proj,o_proj,up_proj
  [ "$arch" = phi3 ] && targets=qkv_proj,o_proj,gate_up_proj
  "$CHOSEI" sft --set model="$WORK/$arch-run/final" --set train="$WORK/train.jsonl" \
    --set out="$WORK/$arch-lora" --set max_steps=30 --set learning_rate=0.05 --set batch_size=8 \
    --set max_seq_len=256 --set lora.r=8 --set lora.alpha=32 --set lora.target_modules=$targets \
    --set log_every=30 --set seed=3 >/dev/null
  "$CHOSEI" export gguf --model "$WORK/$arch-lora/final" --adapter-only --out "$WORK/$arch-adapter.gguf" --type f32
  LORA_GGUF="$WORK/$arch-adapter.gguf" compare "$WORK/$arch-lora/final" "$WORK/$arch-f32.gguf" 1.0 chat
  if /usr/bin/python3 "$WORK/compare.py" "$CHOSEI" "$WORK/$arch-lora/final" "$WORK/$arch-f32.gguf" 1.0 chat \
    bash -c "cd '$ROOT/tests/llama_cpp' && node gguf_reference.mjs" >/dev/null 2>&1; then
    echo "$arch: the base alone answers as the adapted model: the adapter test proves nothing"
    exit 1
  fi
done

echo "== import back: chosei model import --format gguf"
# same_model A B: greedy ids and tokenization of a few texts equal.
same_model() {
  for p in "Once upon a time" "How do I return a kettle?" "保証期間は？"; do
    a=$("$CHOSEI" generate --model "$1" --prompt "$p" --temperature 0 --max-new-tokens 30 --json)
    b=$("$CHOSEI" generate --model "$2" --prompt "$p" --temperature 0 --max-new-tokens 30 --json)
    [ "$a" = "$b" ] || { echo "import of $2 differs on '$p':"; echo " $a"; echo " $b"; exit 1; }
  done
}
"$CHOSEI" model import --format gguf --weights "$WORK/s260k-f32.gguf" --out "$WORK/s260k-back"
test -f "$WORK/s260k-back/tokenizer.model"
same_model "$S260K" "$WORK/s260k-back"
# Its re-export (the vocabulary now read from the tokenizer.json the import wrote) runs in
# llama.cpp as chosei runs the imported directory.
"$CHOSEI" export gguf --model "$WORK/s260k-back" --out "$WORK/s260k-again.gguf" --type f32 >/dev/null
compare "$WORK/s260k-back" "$WORK/s260k-again.gguf" 1.0 nochat
for arch in llama qwen2; do
  "$CHOSEI" model import --format gguf --weights "$WORK/$arch-f32.gguf" --out "$WORK/$arch-back"
  same_model "$WORK/$arch-run/final" "$WORK/$arch-back"
  /usr/bin/python3 - "$WORK/$arch-run/final/config.json" "$WORK/$arch-back/config.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
          "num_key_value_heads", "rms_norm_eps", "rope_parameters", "tie_word_embeddings", "vocab_size"):
    assert a.get(k) == b.get(k), (k, a.get(k), b.get(k))
PY
  # The imported model exports to the same file (weights, vocabulary, template).
  "$CHOSEI" export gguf --model "$WORK/$arch-back" --out "$WORK/$arch-again.gguf" --type f32 --name final >/dev/null
  cmp "$WORK/$arch-f32.gguf" "$WORK/$arch-again.gguf"
done
# f16 and q8_0 import as their decoded values: the re-export equals the file.
"$CHOSEI" model import --format gguf --weights "$WORK/llama-f16.gguf" --out "$WORK/llama-f16-back" >/dev/null
"$CHOSEI" export gguf --model "$WORK/llama-f16-back" --out "$WORK/llama-f16-again.gguf" --type f16 --name final >/dev/null
cmp "$WORK/llama-f16.gguf" "$WORK/llama-f16-again.gguf"

echo "== a real model: SmolLM2-135M-Instruct Q4_1 from the models cache"
# chosei imports the file (its blocks dequantized) and exports it again in f32; llama.cpp
# runs that file as chosei runs the imported directory: the same greedy tokens, and the same
# tokenization of every text ("smollm" pre-tokenizer: digits one by one). (llama.cpp on the
# Q4_1 file itself rounds the activations to 8 bits in its dot products and parts from
# fp32 after a few dozen tokens: quantized decoding against it is issue 35's.)
SMOL="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -f "$SMOL" ]; then
  "$CHOSEI" model import --format gguf --weights "$SMOL" --out "$WORK/smollm2" >/dev/null
  "$CHOSEI" export gguf --model "$WORK/smollm2" --out "$WORK/smollm2-f32.gguf" --type f32 >/dev/null
  compare "$WORK/smollm2" "$WORK/smollm2-f32.gguf" 1.0 nochat
  rm -f "$WORK/smollm2-f32.gguf"
else
  echo "models cache: $SMOL absent (scripts/setup); the real model is not checked"
fi

echo "== refusals"
cp -r "$WORK/llama-run/final" "$WORK/gpt2ish"
/usr/bin/python3 - "$WORK/gpt2ish/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["model_type"] = "gptj"; json.dump(c, open(sys.argv[1], "w"))
PY
expect_error "model_type" "$CHOSEI" export gguf --model "$WORK/gpt2ish" --out "$WORK/x.gguf"
printf 'GGUF\x03\x00\x00\x00' >"$WORK/cut.gguf"
expect_error "cut.gguf" "$CHOSEI" model import --format gguf --weights "$WORK/cut.gguf" --out "$WORK/cut-back"
test ! -e "$WORK/cut-back/config.json"
expect_error "q4" "$CHOSEI" export gguf --model "$S260K" --out "$WORK/x.gguf" --type q4
mkdir -p "$WORK/readonly" && touch "$WORK/readonly/keep.gguf" && chmod 500 "$WORK/readonly"
if [ "$(id -u)" -ne 0 ]; then
  expect_error "readonly" "$CHOSEI" export gguf --model "$S260K" --out "$WORK/readonly/keep.gguf"
fi
chmod 700 "$WORK/readonly"
test ! -e "$WORK/x.gguf"
echo "export_gguf: all checks passed"
