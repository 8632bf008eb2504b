#!/usr/bin/env bash
# The labeling JSON API through `chosei label serve`, the way the page and scripts use it:
# sign-in by annotator key (401 otherwise), next / submit by screen side / retry with the same
# client id / undo / skip, overlap 2 across two annotators, another annotator's item refused
# (409), the admin statistics behind the admin key, and a SIGKILL right after an acknowledged
# decision: after a restart the decisions are there and the annotator continues at the next item.
set -euo pipefail
CHOSEI="$1"
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for i in $(seq 1 10); do
  echo "{\"id\":\"q$i\",\"prompt\":\"question $i\",\"chosen\":\"good <b>$i</b>\",\"rejected\":\"bad $i\"}"
done >"$WORK/pairs.jsonl"
printf '# annotators\nana key-ana-1234\nben key-ben-5678\n' >"$WORK/annotators.txt"
printf '# Guidelines\nPrefer the **helpful** answer.\n' >"$WORK/guide.md"
"$CHOSEI" label create --db "$WORK/l.db" --name pilot --pairs "$WORK/pairs.jsonl" --overlap 2 \
  --guidelines "$WORK/guide.md" --seed 5 >/dev/null

start() {
  "$CHOSEI" label serve --db "$WORK/l.db" --port 0 --annotators "$WORK/annotators.txt" \
    --admin-key admin-key-42 >"$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.05; done
  BASE=$(sed -n 's/^listening on //p' "$WORK/serve.log")
  [ -n "$BASE" ] || { cat "$WORK/serve.log"; exit 1; }
}
# call KEY ROUTE BODY -> body in $WORK/out, status printed
call() {
  curl -s -o "$WORK/out" -w '%{http_code}' -H "Authorization: Bearer $1" "$BASE/label/api/$2" -d "$3"
}
field() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$WORK/out')); print(eval(sys.argv[1]))" "$1"; }

start
[ "$(call key-ana-1234 session '{}')" = 200 ]
[ "$(field 'd["annotator"]')" = ana ] && [ "$(field 'd["overlap"]')" = 2 ]
[[ "$(field 'd["guidelines"]')" == *'**helpful**'* ]]
[ "$(call wrong-key-000 next '{}')" = 401 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/label/api/next" -d '{}')" = 401 ]
[ "$(call key-ana-1234 next '{}')" = 200 ]
ITEM=$(field 'd["item"]["id"]')
[ "$ITEM" = q1 ]
[[ "$(field 'd["item"]["left"] + "|" + d["item"]["right"]')" == *'good <b>1</b>'* ]]  # as text
[ "$(call key-ben-5678 next '{}')" = 200 ] && [ "$(field 'd["item"]["id"]')" = q1 ]  # overlap 2
[ "$(call key-ben-5678 submit '{"item":"q2","choice":"left","client_id":"b0"}')" = 409 ]
[ "$(field 'd["error"]["code"]')" = not_leased ]
[ "$(call key-ana-1234 submit '{"item":"q1","choice":"sideways","client_id":"a0"}')" = 400 ]
[ "$(call key-ana-1234 submit '{"item":"q1","choice":"left","reason":"clearer","seconds":3.5,"client_id":"a1"}')" = 200 ]
[ "$(field 'd["stored"]')" = True ]
[ "$(call key-ana-1234 submit '{"item":"q1","choice":"left","client_id":"a1"}')" = 200 ]
[ "$(field 'd["stored"]')" = False ]  # a retry stores nothing twice
[ "$(call key-ana-1234 undo '{"client_id":"u1"}')" = 200 ] && [ "$(field 'd["item"]')" = q1 ]
[ "$(call key-ana-1234 next '{}')" = 200 ] && [ "$(field 'd["item"]["id"]')" = q1 ]
[ "$(call key-ana-1234 submit '{"item":"q1","choice":"right","strength":2,"seconds":4,"client_id":"a2"}')" = 200 ]
[ "$(call key-ana-1234 next '{}')" = 200 ] && [ "$(field 'd["item"]["id"]')" = q2 ]
[ "$(call key-ana-1234 skip '{"item":"q2","client_id":"s1"}')" = 200 ]
[ "$(call key-ana-1234 next '{}')" = 200 ] && [ "$(field 'd["item"]["id"]')" = q3 ]
[ "$(call key-ana-1234 submit '{"item":"q3","choice":"tie","seconds":6,"client_id":"a3"}')" = 200 ]
[ "$(field 'd["progress"]["done"]')" = 2 ]
# SIGKILL right after the acknowledged decision; the restarted server has it.
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
start
[ "$(call key-ana-1234 progress '{}')" = 200 ] && [ "$(field 'd["done"]')" = 2 ]
[ "$(call key-ana-1234 next '{}')" = 200 ] && [ "$(field 'd["item"]["id"]')" = q4 ]
[ "$(call key-ben-5678 submit '{"item":"q1","choice":"left","client_id":"b1"}')" = 200 ]
[ "$(call key-ana-1234 stats '{}')" = 401 ]
[ "$(call admin-key-42 stats '{}')" = 200 ]
[ "$(field 'd["labels"]')" = 3 ] && [ "$(field 'd["annotators"]')" = 2 ]
field 'd["cohen_kappa"]["ana|ben"]' >/dev/null
[ "$(field 'd["per_annotator"]["ana"]["skips"]')" = 1 ]  # ana skipped q2
[ "$(field 'd["per_annotator"]["ana"]["labels"]')" = 2 ]
[ "$(field 'round(d["per_annotator"]["ana"]["skip_rate"], 4)')" = 0.3333 ]
[ "$(field 'd["per_annotator"]["ana"]["median_seconds"]')" = 5.0 ]  # 4 and 6 (the undone 3.5 gone)
"$CHOSEI" label stats --db "$WORK/l.db" --json >"$WORK/out"
[ "$(field 'd["labels"]')" = 3 ]
kill -TERM "$PID"
wait "$PID"
PID=""
echo "label_api: all checks passed"
