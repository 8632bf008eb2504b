#!/usr/bin/env bash
# The files and fine-tuning jobs API of `chosei serve --data-dir`, end to end:
#   - the official openai npm client runs the whole workflow (tests/node/finetune_client_test.mjs);
#   - the fine-tuning page in headless Chromium (tests/node/browser_finetune_test.mjs);
#   - hostile uploads (not JSONL, a huge line, binary, a path in the file name, over the size
#     limit) are refused cleanly and leave nothing on disk;
#   - the server is SIGKILLed while a job trains past its first checkpoint; its training
#     process dies with it; after a restart the job resumes from that checkpoint and succeeds,
#     its events continue (every event from before is still there, no step is reported
#     twice) and no file, job or event is lost.
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
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
  pkill -9 -f "$WORK/data/jobs" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
py() { /usr/bin/python3 "$@"; }

mkdir -p "$WORK/in"
py - "$WORK/in" <<'PY'
import json, sys
out = sys.argv[1]
def chat(i):
    return {"messages": [{"role": "system", "content": "You are Kumo's support assistant."},
                         {"role": "user", "content": f"When does order {i} ship?"},
                         {"role": "assistant", "content": f"Order {i} ships today; refunds take five business days."}]}
with open(f"{out}/train.jsonl", "w") as f:
    for i in range(24): f.write(json.dumps(chat(i)) + "\n")
with open(f"{out}/val.jsonl", "w") as f:
    for i in range(100, 112): f.write(json.dumps(chat(i)) + "\n")
with open(f"{out}/prefs.jsonl", "w") as f:
    for i in range(16):
        f.write(json.dumps({"input": {"messages": [{"role": "user", "content": f"Where is order {i}?"}]},
                            "preferred_output": [{"role": "assistant", "content": f"Order {i} ships today."}],
                            "non_preferred_output": [{"role": "assistant", "content": "No idea."}]}) + "\n")
with open(f"{out}/bad.jsonl", "w") as f:
    for i in range(12):
        f.write(json.dumps(chat(i)) + "\n" if i != 2 else '{"messages": [{"role": "user", "content": "hi"}\n')
with open(f"{out}/long_run.jsonl", "w") as f:
    for i in range(200): f.write(json.dumps(chat(i)) + "\n")
PY
"$CHOSEI" tokenizer train --vocab-size 400 --out "$WORK/tok" "$WORK/in/train.jsonl" >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/base" --seed 3 >/dev/null
printf 'key-alice\nkey-bob\n' >"$WORK/keys.txt"

start_server() {
  # The log exists before the first poll reads it: the background server may not have
  # opened it yet, and a failed read would end this script under set -e.
  touch "$WORK/serve.log"
  "$CHOSEI" serve --model base="$WORK/base" --port 0 --api-keys-file "$WORK/keys.txt" \
    --admin-key key-admin --data-dir "$WORK/data" --max-upload-bytes 16000000 --threads 1 \
    --job-set max_seq_len=96 \
    >>"$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do
    BASE=$(sed -n 's/^listening on //p' "$WORK/serve.log" | tail -n 1)
    [ -n "$BASE" ] && [ "$(curl -s "$BASE/health" 2>/dev/null)" = '{"status":"ok"}' ] && return 0
    sleep 0.1
  done
  cat "$WORK/serve.log"
  exit 1
}
start_server
echo "server at $BASE"

echo "== the openai npm client runs the workflow"
node "$ROOT/tests/node/finetune_client_test.mjs" "$BASE/v1" key-alice key-bob key-admin base "$WORK/in"

echo "== the fine-tuning page in headless Chromium (another key)"
ARTIFACTS="$(cd "$(dirname "$CHOSEI")" && pwd)/test-artifacts"
mkdir -p "$ARTIFACTS"
if [ -x /usr/bin/chromium ]; then
  node "$ROOT/tests/node/browser_finetune_test.mjs" "$BASE" key-bob "$WORK/in" "$ARTIFACTS/finetune_page.png"
else
  echo "chromium not installed (scripts/setup installs it): page check skipped"
fi

echo "== hostile uploads are refused cleanly"
A=(-H 'Authorization: Bearer key-alice')
upload() { curl -s -o "$WORK/body" -w '%{http_code}' "${A[@]}" "$BASE/v1/files" -F purpose=fine-tune "$@"; }
field() { py -c "import json,sys; print(json.load(open('$WORK/body'))$1)"; }
printf 'id,question,answer\n1,hi,hello\n' >"$WORK/in/table.csv"
[ "$(upload -F "file=@$WORK/in/table.csv")" = 200 ]
[ "$(field "['status']")" = error ]
grep -q "table.csv:1: " <<<"$(field "['status_details']")"
head -c 4096 /dev/urandom >"$WORK/in/blob.bin"
[ "$(upload -F "file=@$WORK/in/blob.bin")" = 200 ]
[ "$(field "['status']")" = error ]
grep -q "blob.bin:" <<<"$(field "['status_details']")"
py -c "import json; print(json.dumps({'messages': [{'role': 'user', 'content': 'x' * 9_000_000}]}))" >"$WORK/in/huge_line.jsonl"
[ "$(upload -F "file=@$WORK/in/huge_line.jsonl")" = 200 ]
[ "$(field "['status']")" = error ]
grep -q "huge_line.jsonl:1: .*longer than" <<<"$(field "['status_details']")"
[ "$(upload -F "file=@$WORK/in/train.jsonl;filename=../../escape.jsonl")" = 400 ]
[ "$(field "['error']['param']")" = file ]
[ "$(upload -F "file=@$WORK/in/train.jsonl" -F "purpose=batch")" = 400 ]  # a second purpose
[ "$(field "['error']['param']")" = purpose ]
grep -q "purpose is given twice" "$WORK/body"
[ "$(curl -s -o "$WORK/body" -w '%{http_code}' "${A[@]}" "$BASE/v1/files" -F purpose=batch -F "file=@$WORK/in/train.jsonl")" = 400 ]
grep -q 'purpose \\"batch\\" is not supported' "$WORK/body"
[ "$(curl -s -o "$WORK/body" -w '%{http_code}' "${A[@]}" "$BASE/v1/files" -F "file=@$WORK/in/train.jsonl")" = 400 ]
grep -q "purpose is required" "$WORK/body"
[ "$(curl -s -o "$WORK/body" -w '%{http_code}' "${A[@]}" "$BASE/v1/files" -H 'Content-Type: application/json' -d '{}')" = 400 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/files" -F purpose=fine-tune -F "file=@$WORK/in/train.jsonl")" = 401 ]
head -c 20000000 /dev/zero >"$WORK/in/too_big.jsonl"
[ "$(upload -F "file=@$WORK/in/too_big.jsonl")" = 413 ]
grep -q "larger than this server's limit of 16000000 bytes" <<<"$(field "['error']['message']")"
# Without a Content-Length (chunked), the file is cut at the limit as it streams in.
head -c 16100000 /dev/zero >"$WORK/in/just_over.jsonl"
[ "$(upload -H 'Transfer-Encoding: chunked' -F "file=@$WORK/in/just_over.jsonl")" = 413 ]
grep -q "file: the upload is larger than this server's limit of 16000000 bytes" <<<"$(field "['error']['message']")"
test -z "$(find "$WORK/data/files" -name 'upload-*')"
[ "$(du -sk "$WORK/data/files" | cut -f1)" -lt 12000 ]  # the 9 MB line was kept as a file; 20 MB not
[ "$(curl -s "$BASE/health")" = '{"status":"ok"}' ]

echo "== SIGKILL the server while a job trains; a restart resumes it"
[ "$(upload -F "file=@$WORK/in/long_run.jsonl")" = 200 ]
FILE=$(field "['id']")
curl -s "${A[@]}" "$BASE/v1/fine_tuning/jobs" -H 'Content-Type: application/json' \
  -d "{\"model\":\"base\",\"training_file\":\"$FILE\",\"method\":{\"type\":\"supervised\",\"supervised\":{\"hyperparameters\":{\"n_epochs\":6,\"batch_size\":1}}}}" \
  >"$WORK/body"
JOB=$(field "['id']")
get() { curl -s "${A[@]}" "$BASE/v1/fine_tuning/jobs/$JOB${1:-}"; }
for _ in $(seq 1 1200); do
  get /checkpoints | grep -q ckpt-step- && break
  sleep 0.1
done
get /checkpoints | grep -q ckpt-step-200 || { get; tail -n 20 "$WORK/data/jobs/$JOB/log.txt"; exit 1; }
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
db_contents() {
  py - "$WORK/data/finetune.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for table in ("files", "jobs"):
    print(table, db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
for (i,) in db.execute("SELECT id FROM job_events ORDER BY seq"): print(i)
PY
}
db_contents >"$WORK/before.txt"
# Its training process died with it (PR_SET_PDEATHSIG): nothing trains without a server.
for _ in $(seq 1 50); do pgrep -f "$WORK/data/jobs/$JOB" >/dev/null || break; sleep 0.1; done
! pgrep -f "$WORK/data/jobs/$JOB" >/dev/null
start_server
for _ in $(seq 1 3000); do
  status=$(get | py -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  case "$status" in succeeded | failed | cancelled) break ;; esac
  sleep 0.1
done
[ "$status" = succeeded ] || { get; tail -n 20 "$WORK/data/jobs/$JOB/log.txt"; exit 1; }
grep -q "resuming from .*step-" "$WORK/data/jobs/$JOB/log.txt"
db_contents >"$WORK/after.txt"
# Every file, job and event from before the kill is still there, in the same order; the
# one file more is the job's result file.
[ "$(sed -n 1p "$WORK/after.txt")" = "files $(($(sed -n 1p "$WORK/before.txt" | cut -d' ' -f2) + 1))" ]
[ "$(sed -n 2p "$WORK/after.txt")" = "$(sed -n 2p "$WORK/before.txt")" ]
[ "$(wc -l <"$WORK/before.txt")" -gt 10 ]
diff <(tail -n +3 "$WORK/before.txt") <(tail -n +3 "$WORK/after.txt" | head -n $(($(wc -l <"$WORK/before.txt") - 2)))
py - "$BASE/v1/fine_tuning/jobs/$JOB/events" <<'PY'
import json, sys, urllib.request
events, after = [], ""
while True:  # every page, as the SDKs' auto-pagination does
    req = urllib.request.Request(f"{sys.argv[1]}?limit=500" + (f"&after={after}" if after else ""),
                                 headers={"Authorization": "Bearer key-alice"})
    page = json.load(urllib.request.urlopen(req))
    events += page["data"]
    if not page["has_more"]: break
    after = page["data"][-1]["id"]
events = events[::-1]
assert len({e["id"] for e in events}) == len(events), "an event was listed twice"
messages = [e["message"] for e in events]
steps = [e["data"]["step"] for e in events if e["type"] == "metrics"]
assert steps == list(range(1, 1201)), (len(steps), steps[:5], steps[-5:])
assert any(e["level"] == "warn" and "restarted" in e["message"] for e in events), messages
assert messages.count("Fine-tuning job started") == 1, messages
assert messages[-1] == "The job has successfully completed", messages[-3:]
cps = [e for e in events if e["message"].startswith("Checkpoint created")]
assert [c["data"]["step"] for c in cps] == [200, 400, 600, 800, 1000, 1200], cps
PY
# The operator's --job-set reached the recipe; the job's own numbers stayed the job's.
py - "$WORK/data/jobs/$JOB/run/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["max_seq_len"] == 96 and c["packing"] is False and c["batch_size"] == 1 and c["epochs"] == 6, c
PY
kill -TERM "$PID"
wait "$PID"
PID=""
# A --job-set key that the request decides is refused at start, naming it.
if "$CHOSEI" serve --model base="$WORK/base" --data-dir "$WORK/data2" --job-set model=/elsewhere \
  --port 0 >"$WORK/refused.log" 2>&1; then
  echo "--job-set model= was accepted"
  exit 1
fi
grep -q "job-set model: a job's request decides this key" "$WORK/refused.log"
echo "finetune_api: all checks passed"
