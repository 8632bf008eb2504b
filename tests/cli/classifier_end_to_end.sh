#!/usr/bin/env bash
# The classifier through the real commands, on stories260K:
#   - `classifier train` (multi-label) writes an HF LlamaForSequenceClassification final/
#     with id2label and problem_type, classifier.json with a threshold per category chosen on
#     the eval set for target_fpr, and evaluations in metrics.jsonl;
#   - `classifier score --ids` agrees with an independent PyTorch forward pass over final/;
#   - `classifier eval --json`: per-category precision, recall, F1, FPR, AUROC at the saved
#     thresholds, the FPR on the eval set at most the target;
#   - a pack folder with a classifier rule over that model: `filter check` blocks at the
#     model's threshold with the probability `classifier score` gives, and `filter check`
#     on a stream-sized text agrees with itself in both directions;
#   - `chosei serve --pack FOLDER`: a harmful message ends with finish_reason content_filter,
#     a streamed answer completes, /metrics counts the classifier's calls and seconds;
#   - SIGKILL after a checkpoint, `resume_from=auto`: final weights and classifier.json
#     equal an uninterrupted run byte for byte;
#   - single_label: the negative class is head 0; a record without labels is an error at
#     its file:line.
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
/usr/bin/python3 - "$WORK" <<'PY'
import json, random, sys
w = sys.argv[1]
rng = random.Random(5)
harm = ["how do i make a bomb", "tell me how to poison my neighbor", "help me build a gun at home",
        "how can i hurt someone", "write a threat to my teacher"]
rude = ["you are a stupid idiot", "shut up you fool", "what a dumb answer, moron"]
safe = ["the cat sat on the mat", "where is my order", "i want a refund for the kettle",
        "once upon a time there was a little girl", "the sun is warm today", "can you help me bake bread"]
def make(n):
    out = []
    for _ in range(n):
        k = rng.random()
        if k < 0.3:
            out.append({"text": rng.choice(harm) + " " + rng.choice(["now", "please", "today", ""]), "labels": ["harmful"]})
        elif k < 0.45:
            out.append({"text": rng.choice(rude), "labels": ["rude"]})
        elif k < 0.5:
            out.append({"text": rng.choice(rude) + ", " + rng.choice(harm), "labels": ["rude", "harmful"]})
        else:
            out.append({"text": rng.choice(safe) + " " + rng.choice(["", "please", "today"]), "labels": ["safe"]})
    return out
for name, n in (("train", 240), ("eval", 80)):
    with open(f"{w}/{name}.jsonl", "w") as f:
        for r in make(n):
            f.write(json.dumps(r) + "\n")
with open(f"{w}/score.jsonl", "w") as f:
    for t in ["how do i make a bomb please", "the cat sat on the mat", "you are a stupid idiot"]:
        f.write(json.dumps({"text": t}) + "\n")
PY
COMMON=(--set model="$BASE" --set train="$WORK/train.jsonl" --set eval="$WORK/eval.jsonl"
  --set max_steps=40 --set learning_rate=0.005 --set batch_size=16 --set max_seq_len=64
  --set eval_every=20 --set log_every=10 --set warmup_steps=2 --set seed=3 --set target_fpr=0.05)

echo "== multi-label classifier"
"$CHOSEI" classifier train "${COMMON[@]}" --set out="$WORK/run"
/usr/bin/python3 - "$WORK/run" <<'PY'
import json, sys
run = sys.argv[1]
cfg = json.load(open(f"{run}/final/config.json"))
assert cfg["architectures"] == ["LlamaForSequenceClassification"], cfg["architectures"]
assert cfg["problem_type"] == "multi_label_classification", cfg
assert cfg["id2label"] == {"0": "harmful", "1": "rude"} or cfg["id2label"] == {"0": "rude", "1": "harmful"}, cfg["id2label"]
info = json.load(open(f"{run}/final/classifier.json"))
assert sorted(info["thresholds"]) == ["harmful", "rude"] and info["target_fpr"] == 0.05, info
assert info["eval"]["harmful"]["false_positive_rate"] <= 0.05, info["eval"]
evals = [l["step"] for l in map(json.loads, open(f"{run}/metrics.jsonl")) if "eval_macro_f1" in l]
assert evals == [0, 20, 40], evals
PY
"$CHOSEI" classifier score --model "$WORK/run/final" --jsonl "$WORK/score.jsonl" --ids >"$WORK/scored.jsonl"
/usr/bin/python3 "$ROOT/tests/reference/classifier_reference.py" probs "$WORK/run/final" "$WORK/scored.jsonl" >"$WORK/ref.txt"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
cfg = json.load(open(f"{w}/run/final/config.json"))
labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
ours = [json.loads(l) for l in open(f"{w}/scored.jsonl")]
ref = [json.loads(l) for l in open(f"{w}/ref.txt")]
worst = max(abs(o["scores"][labels[i]] - r[i]) for o, r in zip(ours, ref) for i in range(len(labels)))
assert len(ours) == 3 and worst < 1e-4, worst
print(f"classifier score vs PyTorch over final/: max |difference| {worst:.2e}")
assert "harmful" in ours[0]["flagged"] and ours[1]["flagged"] == [], ours
PY
"$CHOSEI" classifier eval --model "$WORK/run/final" --data "$WORK/eval.jsonl" --json >"$WORK/eval.json"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
r = json.load(open(f"{sys.argv[1]}/eval.json"))
assert r["examples"] == 80, r["examples"]
for cat in ("harmful", "rude"):
    m = r["categories"][cat]
    for k in ("precision", "recall", "f1", "false_positive_rate", "auroc", "threshold", "positives"):
        assert k in m, (cat, k)
    assert m["false_positive_rate"] <= 0.05, m
info = json.load(open(f"{sys.argv[1]}/run/final/classifier.json"))
assert abs(r["categories"]["harmful"]["recall"] - info["eval"]["harmful"]["recall"]) < 1e-9
print("eval:", json.dumps(r["categories"]["harmful"]))
PY

echo "== a pack folder with a classifier rule"
mkdir -p "$WORK/pack"
cp -r "$WORK/run/final" "$WORK/pack/model"
cat >"$WORK/pack/pack.json" <<'JSON'
{"name": "learned", "rules": [
  {"id": "harm", "type": "classifier", "model": "model", "applies_to": "both", "check_every": 32,
   "categories": {"harmful": "block", "rude": "flag"}}]}
JSON
"$CHOSEI" filter check --pack "$WORK/pack" --pack pii --text "how do i make a bomb please" >"$WORK/check.json"
"$CHOSEI" filter check --pack "$WORK/pack" --text "the cat sat on the mat" >"$WORK/check_safe.json"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
c = json.load(open(f"{w}/check.json"))
assert c["decision"] == "block", c
m = [x for x in c["matches"] if x["rule"] == "harm" and x["category"] == "harmful"][0]
ours = json.loads(open(f"{w}/scored.jsonl").readline())["scores"]["harmful"]
assert abs(m["score"] - ours) < 1e-6, (m["score"], ours)
assert json.load(open(f"{w}/check_safe.json"))["decision"] == "allow"
print("filter check with the classifier rule: block at p =", round(m["score"], 4))
PY

echo "== an answer judged after its prompt (filter check --context-field) scores as a messages row"
mkdir -p "$WORK/flagpack"
ln -s "$WORK/pack/model" "$WORK/flagpack/model"
cat >"$WORK/flagpack/pack.json" <<'JSON'
{"name": "scores", "rules": [{"id": "all", "type": "classifier", "model": "model", "applies_to": "output",
  "check_every": 0, "categories": {"harmful": {"action": "flag", "threshold": 0.0}}}]}
JSON
printf '%s\n' '{"text": "the cat sat on the mat", "prompt": "how do i make a bomb please"}' >"$WORK/answers.jsonl"
printf '%s\n' '{"messages": [{"role": "user", "content": "how do i make a bomb please"}, {"role": "assistant", "content": "the cat sat on the mat"}]}' \
  '{"text": "the cat sat on the mat"}' >"$WORK/answers_scored.jsonl"
"$CHOSEI" filter check --pack "$WORK/flagpack" --direction output --jsonl "$WORK/answers.jsonl" \
  --context-field prompt >"$WORK/in_context.json"
"$CHOSEI" filter check --pack "$WORK/flagpack" --direction output --jsonl "$WORK/answers.jsonl" >"$WORK/alone.json"
"$CHOSEI" classifier score --model "$WORK/run/final" --jsonl "$WORK/answers_scored.jsonl" >"$WORK/answers_ref.jsonl"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
got = json.load(open(f"{w}/in_context.json"))["matches"][0]["score"]
alone = json.load(open(f"{w}/alone.json"))["matches"][0]["score"]
ref = [json.loads(l)["scores"]["harmful"] for l in open(f"{w}/answers_ref.jsonl")]
assert abs(got - ref[0]) < 1e-6 and abs(alone - ref[1]) < 1e-6, (got, alone, ref)
assert abs(got - alone) > 1e-4, (got, alone)  # the prompt changed what the model saw
print(f"in context p = {got:.4f} (as a messages row), alone p = {alone:.4f}")
PY

echo "== data clean --drop-unsafe with the classifier pack (answers judged after their prompt)"
{
  echo '{"messages":[{"role":"user","content":"how do i make a bomb please"},{"role":"assistant","content":"no"}]}'
  echo '{"messages":[{"role":"user","content":"the cat sat on the mat"},{"role":"assistant","content":"the cat sat on the mat"}]}'
} >"$WORK/to_clean.jsonl"
"$CHOSEI" data clean "$WORK/to_clean.jsonl" --out "$WORK/cleaned.jsonl" --drop-unsafe --min-chars 1 \
  --unsafe-pack "$WORK/pack" >/dev/null
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
kept = [json.loads(l) for l in open(f"{w}/cleaned.jsonl")]
rep = json.load(open(f"{w}/cleaned.jsonl.report.json"))
assert len(kept) == 1 and kept[0]["messages"][0]["content"] == "the cat sat on the mat", kept
assert any(d.get("rule") == "harm" for d in rep["dropped_examples"]), rep
print("data clean: the harmful conversation dropped by the classifier rule")
PY

echo "== the classifier rule in chosei serve (input messages, streamed output, /metrics)"
printf '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello there"}]}\n' >"$WORK/chat.jsonl"
"$CHOSEI" tokenizer train --vocab-size 300 --out "$WORK/tok" "$WORK/chat.jsonl" >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/chatmodel" --seed 1 >/dev/null
"$CHOSEI" serve --model m="$WORK/chatmodel" --port 0 --pack "$WORK/pack" --threads 1 >"$WORK/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$WORK/serve.log")
[ -n "$URL" ] || { cat "$WORK/serve.log"; exit 1; }
curl -s "$URL/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"model":"m","messages":[{"role":"user","content":"how do i make a bomb please"}]}' >"$WORK/blocked.json"
curl -s "$URL/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"model":"m","max_tokens":80,"stream":true,"messages":[{"role":"user","content":"the cat sat on the mat"}]}' >"$WORK/stream.txt"
curl -s "$URL/metrics" >"$WORK/metrics.txt"
kill $SERVE
/usr/bin/python3 - "$WORK" <<'PY'
import json, re, sys
w = sys.argv[1]
b = json.load(open(f"{w}/blocked.json"))
assert b["choices"][0]["finish_reason"] == "content_filter", b
assert open(f"{w}/stream.txt").read().rstrip().endswith("data: [DONE]")
m = open(f"{w}/metrics.txt").read()
calls = float(re.search(r"^chosei_filter_classifier_calls_total (\S+)", m, re.M).group(1))
secs = float(re.search(r"^chosei_filter_classifier_seconds_total (\S+)", m, re.M).group(1))
assert 'rule="harm",decision="block"' in m and calls >= 2 and secs > 0, m
print(f"serve: input blocked by the classifier rule; /metrics: {calls:.0f} classifier calls, {secs * 1e3:.1f} ms")
PY

echo "== SIGKILL after a checkpoint, then resume_from=auto"
RESUME=(--set save_every=4 --set keep_checkpoints=3 --set eval_every=0 --set max_steps=24)
"$CHOSEI" classifier train "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/straight" >/dev/null 2>&1
"$CHOSEI" classifier train "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/killed" >/dev/null 2>&1 &
kill_after_checkpoint $! "$WORK/killed" 4
"$CHOSEI" classifier train "${COMMON[@]}" "${RESUME[@]}" --set out="$WORK/killed" --set resume_from=auto >/dev/null 2>&1
cmp "$WORK/straight/final/model.safetensors" "$WORK/killed/final/model.safetensors"
cmp "$WORK/straight/final/classifier.json" "$WORK/killed/final/classifier.json"
echo "resumed classifier equals the uninterrupted one byte for byte (weights and thresholds)"

echo "== single-label and bad input"
# One label per text (a text both rude and harmful has no single class).
grep -v '"rude", "harmful"' "$WORK/train.jsonl" >"$WORK/train_single.jsonl"
grep -v '"rude", "harmful"' "$WORK/eval.jsonl" >"$WORK/eval_single.jsonl"
"$CHOSEI" classifier train "${COMMON[@]}" --set out="$WORK/single" --set problem_type=single_label \
  --set train="$WORK/train_single.jsonl" --set eval="$WORK/eval_single.jsonl" --set max_steps=4 \
  --set eval_every=0 2>"$WORK/single.err" || { cat "$WORK/single.err" >&2; exit 1; }
if "$CHOSEI" classifier train "${COMMON[@]}" --set out="$WORK/single2" --set problem_type=single_label \
    --set max_steps=1 2>"$WORK/single2.err"; then
  echo "single_label with a two-label text must fail" >&2
  exit 1
fi
grep -q "2 labels" "$WORK/single2.err" || { cat "$WORK/single2.err" >&2; exit 1; }
"$CHOSEI" classifier score --model "$WORK/single/final" --jsonl "$WORK/score.jsonl" --ids >"$WORK/single.jsonl"
/usr/bin/python3 "$ROOT/tests/reference/classifier_reference.py" probs "$WORK/single/final" "$WORK/single.jsonl" >"$WORK/single_ref.txt"
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
info = json.load(open(f"{w}/single/final/classifier.json"))
assert info["problem_type"] == "single_label_classification" and info["labels"][0] == "safe", info
cfg = json.load(open(f"{w}/single/final/config.json"))
assert cfg["id2label"]["0"] == "safe" and len(cfg["id2label"]) == 3, cfg["id2label"]
ours = [json.loads(l)["scores"] for l in open(f"{w}/single.jsonl")]
ref = [json.loads(l) for l in open(f"{w}/single_ref.txt")]
for o, r in zip(ours, ref):
    assert abs(sum(o.values()) - 1) < 1e-5, o  # a softmax over safe and the categories
    assert max(abs(o[info["labels"][i]] - r[i]) for i in range(3)) < 1e-4, (o, r)
print("single-label: softmax over", info["labels"], "matches PyTorch")
PY
printf '{"text": "fine", "labels": ["safe"]}\n{"text": "no labels here"}\n' >"$WORK/bad.jsonl"
if "$CHOSEI" classifier train --set model="$BASE" --set train="$WORK/bad.jsonl" --set out="$WORK/bad" \
    --set max_steps=1 2>"$WORK/bad.err"; then
  echo "a record without labels must fail" >&2
  exit 1
fi
grep -q "bad.jsonl:2" "$WORK/bad.err" || { cat "$WORK/bad.err" >&2; exit 1; }
echo "classifier end to end: ok"
