#!/usr/bin/env bash
# `chosei serve` under stalled and idle clients (tests/node/stalled_clients_test.mjs): 200
# uploads stopped mid-body and 200 idle keep-alive connections held open while a fresh client
# is answered and 16 streams complete; the per-client limit answers 503; every connection and
# descriptor is released afterwards, and a stalled upload is closed at the body timeout.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for i in $(seq 1 16); do
  echo '{"messages":[{"role":"user","content":"How do I return a kettle?"},{"role":"assistant","content":"Open Orders, choose the kettle and select Return."}]}'
done >"$WORK/train.jsonl"
"$CHOSEI" tokenizer train --vocab-size 300 --out "$WORK/tok" "$WORK/train.jsonl" >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/init" --seed 3 >/dev/null

start() {
  "$CHOSEI" serve --model tiny="$WORK/init" --port 0 --max-batch 16 --threads 1 "$@" >"$WORK/serve.log" 2>&1 &
  PID=$!
  # Up to 60 s: beside the rest of the suite on 2 cores a start can take more than 10.
  for _ in $(seq 1 600); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
  BASE=$(sed -n 's/^listening on //p' "$WORK/serve.log")
  [ -n "$BASE" ] || { echo "chosei serve did not start:"; cat "$WORK/serve.log"; exit 1; }
}
stop() {
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  [ "$rc" = 0 ] || { echo "chosei serve exited $rc after SIGTERM:"; cat "$WORK/serve.log"; exit 1; }
}
start --max-connections-per-client 48
before=$(ls /proc/$PID/fd | wc -l)
node "$ROOT/tests/node/stalled_clients_test.mjs" "$BASE" tiny 48
after=$(ls /proc/$PID/fd | wc -l)
echo "descriptors: $before before, $after after"
[ "$after" -le $((before + 2)) ]

stop
start --body-timeout 2
echo "== a stalled upload is closed at the body timeout (2 s), counted in /metrics"
/usr/bin/python3 - "$BASE" <<'PY'
import socket, sys, time, urllib.parse, urllib.request
base = sys.argv[1]
u = urllib.parse.urlparse(base)
s = socket.create_connection((u.hostname, u.port))
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
t = time.monotonic()
s.settimeout(30)
assert s.recv(100) == b"", "the server answered instead of closing"
waited = time.monotonic() - t
print(f"closed after {waited:.1f} s")
assert waited >= 1.5, waited
metrics = urllib.request.urlopen(base + "/metrics").read().decode()
assert any(l.startswith("chosei_http_connections_timed_out_total ") and float(l.split()[1]) >= 1
           for l in metrics.splitlines()), metrics
PY
echo "== malformed requests get their status and the server goes on"
/usr/bin/python3 - "$BASE" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
def ask(raw):
    s = socket.create_connection((u.hostname, u.port))
    s.sendall(raw)
    s.settimeout(10)
    return s.recv(4096).split(b"\r\n", 1)[0]
assert ask(b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400"), "request line"
assert ask(b"GET / HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 505"), "version"
assert ask(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").startswith(b"HTTP/1.1 400"), "smuggling"
assert ask(b"GET /health HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431"), "head size"
assert ask(b"GET /health HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 200"), "still serving"
print("ok")
PY
stop
PID=""
