#!/usr/bin/env bash
# `chosei pipeline run` through the command, as a user runs it:
#   - a first run runs every stage and writes report.html linking each stage's report and
#     the final numbers; a second run skips every stage (unchanged since its last success);
#   - a changed setting reruns that stage and the stages after it that read changed bytes;
#     a stage that wrote the same bytes again leaves the later ones skipped;
#   - --dry-run says what would run and runs nothing; --from reruns from a stage on;
#   - the pipeline SIGKILLed during its sft stage: the stage's process dies with it, and the
#     next run resumes that stage from its last checkpoint and ends with the same weights as
#     an uninterrupted run;
#   - bad pipeline files are refused with the file, the stage and the field named.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
py() { /usr/bin/python3 "$@"; }
P="$WORK/project"
mkdir -p "$P"
py - "$P" <<'PY'
import json, sys
p = sys.argv[1]
with open(f"{p}/chats.jsonl", "w") as f:
    for i in range(40):
        f.write(json.dumps({"messages": [{"role": "user", "content": f"When does order {i} ship?"},
                                         {"role": "assistant", "content": f"Order {i} ships today."}]}) + "\n")
    f.write(json.dumps({"messages": [{"role": "user", "content": "When does order 1 ship?"},
                                     {"role": "assistant", "content": "Order 1 ships today."}]}) + "\n")
with open(f"{p}/docs.txt", "w") as f:
    for i in range(40): f.write(f"Order {i} ships today. Refunds take five business days.\n")
def pipeline(steps):
    return {"name": "tiny", "out": "out", "stages": [
        {"name": "validate", "command": ["data", "validate", "chats.jsonl"]},
        {"name": "clean", "command": ["data", "clean", "chats.jsonl", "--out", "${out}/clean.jsonl"]},
        {"name": "split", "command": ["data", "split", "--val", "0.2", "--seed", "1", "${clean}/clean.jsonl", "--out-dir", "${out}"]},
        {"name": "tokenizer", "command": ["tokenizer", "train", "--vocab-size", "300", "--out", "${out}", "docs.txt", "${split}/train.jsonl"]},
        {"name": "init", "command": ["model", "init", "--preset", "tiny", "--tokenizer", "${tokenizer}", "--out", "${out}", "--seed", "3"]},
        {"name": "sft", "command": ["sft", "--set", "model=${init}", "--set", "train=${split}/train.jsonl",
                                    "--set", "eval=${split}/val.jsonl", "--set", "out=${out}", "--set", f"max_steps={steps}",
                                    "--set", "batch_size=4", "--set", "learning_rate=0.01", "--set", "save_every=20", "--set", "max_seq_len=64", "--set", "packing=false",
                                    "--set", "eval_every=20", "--set", "log_every=1", "--set", "seed=5", "--threads", "1"]},
        {"name": "eval", "command": ["eval", "--model", "${sft}/final", "--data", "${split}/val.jsonl", "--max-examples", "0", "--json"],
         "stdout": "${out}/eval.json", "numbers": ["${out}/eval.json"]}]}
json.dump(pipeline(60), open(f"{p}/pipeline.json", "w"), indent=1)
json.dump(pipeline(80), open(f"{p}/pipeline_longer.json", "w"), indent=1)
PY
run() { "$CHOSEI" pipeline run --quiet "$@" 2>"$WORK/err.txt" || { cat "$WORK/err.txt"; return 1; }; }
actions() { cut -f1,2 "$WORK/out.txt" | tr '\t' ' ' | paste -sd, -; }

echo "== a first run runs every stage"
run "$P/pipeline.json" >"$WORK/out.txt"
[ "$(actions)" = "validate ran,clean ran,split ran,tokenizer ran,init ran,sft ran,eval ran" ] || { actions; exit 1; }
O="$P/out"
test -f "$O/sft/final/model.safetensors"
test -f "$O/report.html"
test -f "$O/logs/sft.log"
py - "$O" <<'PY'
import json, re, sys
o = sys.argv[1]
html = open(f"{o}/report.html").read()
assert 'href="sft/report.html"' in html, "the sft stage's report is not linked"
assert 'href="logs/sft.log"' in html
assert "Final numbers" in html, "no final numbers"
assert json.load(open(f"{o}/eval/eval.json")), "eval wrote no summary"
state = json.load(open(f"{o}/pipeline_state.json"))["stages"]
assert set(state) == {"validate", "clean", "split", "tokenizer", "init", "sft", "eval"}
assert all(r["started"] == r["succeeded"] != "" for r in state.values()), state
PY
cp "$O/sft/final/model.safetensors" "$WORK/straight.safetensors"

echo "== a second run skips every stage"
run "$P/pipeline.json" >"$WORK/out.txt"
[ "$(actions)" = "validate skipped,clean skipped,split skipped,tokenizer skipped,init skipped,sft skipped,eval skipped" ] || { actions; exit 1; }
grep -q "unchanged since its last success" "$WORK/out.txt"

echo "== --dry-run with a changed setting: sft and what follows would run; nothing runs"
run "$P/pipeline_longer.json" --out "$O" --dry-run >"$WORK/out.txt"
[ "$(actions)" = "validate would skip,clean would skip,split would skip,tokenizer would skip,init would skip,sft would run,eval would run" ] || { actions; exit 1; }
grep -q "sft	would run	its inputs or settings changed" "$WORK/out.txt"
cmp "$O/sft/final/model.safetensors" "$WORK/straight.safetensors"

echo "== an input file changed at the start: a stage that writes the same bytes stops the rerun"
printf '\n' >>"$P/chats.jsonl"  # a blank line: validate and clean run again, clean writes the same file
run "$P/pipeline.json" >"$WORK/out.txt"
[ "$(actions)" = "validate ran,clean ran,split skipped,tokenizer skipped,init skipped,sft skipped,eval skipped" ] || { actions; exit 1; }

echo "== --from reruns a stage and every later one"
run "$P/pipeline.json" --from init >"$WORK/out.txt"
[ "$(actions)" = "validate skipped,clean skipped,split skipped,tokenizer skipped,init ran,sft ran,eval ran" ] || { actions; exit 1; }
cmp "$O/sft/final/model.safetensors" "$WORK/straight.safetensors"  # the same seeds: the same weights

echo "== SIGKILL during sft, then the next run resumes it from its checkpoint"
rm -rf "$O/sft" "$O/eval"
"$CHOSEI" pipeline run --quiet "$P/pipeline.json" >/dev/null 2>&1 &
PIPE=$!
for _ in $(seq 1 600); do [ -d "$O/sft/checkpoints/step-20" ] && break; sleep 0.05; done
[ -d "$O/sft/checkpoints/step-20" ] || { echo "no checkpoint appeared"; cat "$O/logs/sft.log"; exit 1; }
kill -9 "$PIPE"
wait "$PIPE" 2>/dev/null || true
for _ in $(seq 1 50); do pgrep -f "out=$O/sft" >/dev/null || break; sleep 0.1; done
! pgrep -f "out=$O/sft" >/dev/null  # the stage died with the pipeline
test ! -e "$O/sft/final/model.safetensors" || { echo "sft finished before the kill: the test proves nothing"; exit 1; }
run "$P/pipeline.json" >"$WORK/out.txt"
grep -q "sft	ran	resuming an interrupted run" "$WORK/out.txt"
grep -q "resuming from .*step-" "$O/logs/sft.log"
cmp "$O/sft/final/model.safetensors" "$WORK/straight.safetensors"

echo "== bad pipeline files are refused, naming the file, stage and field"
bad() {
  printf '%s' "$1" >"$P/bad.json"
  if "$CHOSEI" pipeline run "$P/bad.json" >/dev/null 2>"$WORK/err.txt"; then echo "accepted: $1"; exit 1; fi
  grep -q "$2" "$WORK/err.txt" || { echo "expected '$2' in:"; cat "$WORK/err.txt"; exit 1; }
}
bad '{"out":"o","stages":[{"name":"a","command":["serve","--model","x=y"]}]}' 'bad.json: stages\[0\].command: "serve" is not a command a stage can run'
bad '{"out":"o","stages":[{"name":"a","command":["data","validate","${b}/x"]},{"name":"b","command":["data","validate","x"]}]}' 'stage a: ${b} is not an earlier stage'
bad '{"out":"o","stages":[{"name":"a","command":["data","validate","${nope}/x"]}]}' '${nope} names no stage'
bad '{"out":"o","stages":[{"name":"a","command":["data","validate","x"]},{"name":"a","command":["data","validate","y"]}]}' 'stages\[1\]: the name "a" is used twice'
bad '{"out":"o","stages":[{"name":"a b","command":["data","validate","x"]}]}' 'stages\[0\].name must be'
bad '{"out":"o","stages":[{"name":"a","commands":["data"]}]}' 'unknown key "commands"'
bad '{"stages":[{"name":"a","command":["data","validate","x"]}]}' '"out" (the output directory) is required'
"$CHOSEI" pipeline run "$P/pipeline.json" --from nope >/dev/null 2>"$WORK/err.txt" && exit 1
grep -q 'no stage "nope" (stages: validate, clean, split, tokenizer, init, sft, eval)' "$WORK/err.txt"
# A failing stage: the pipeline stops with its exit status and log, the report says so.
py - "$P" <<'PY'
import json, sys
p = json.load(open(f"{sys.argv[1]}/pipeline.json"))
p["stages"][0]["command"] = ["data", "validate", "missing.jsonl"]
json.dump(p, open(f"{sys.argv[1]}/failing.json", "w"))
PY
"$CHOSEI" pipeline run --quiet "$P/failing.json" --out "$WORK/failing" >/dev/null 2>"$WORK/err.txt" && exit 1
grep -q "stage validate failed (exit status [0-9]*); log $WORK/failing/logs/validate.log" "$WORK/err.txt"
grep -q "missing.jsonl" "$WORK/err.txt"
grep -q '<tr class="failed">' "$WORK/failing/report.html"
grep -q '<tr class="not reached">' "$WORK/failing/report.html"
echo "pipeline_run: all checks passed"
