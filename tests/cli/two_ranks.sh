# Sourced by the tests that launch two data-parallel ranks the way torchrun does.
# two_ranks LOG_PREFIX COMMAND...: runs COMMAND as rank 0 and rank 1 of 2 on a free
# rendezvous port, stderr in LOG_PREFIX.rank0.log and LOG_PREFIX.rank1.log. A port that
# something else takes between choosing and binding (another test's outgoing connection:
# the CI failure of align_end_to_end) is retried on a new one; any other failure prints
# the failing rank's log and returns 1.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
two_ranks() {
  local log="$1" attempt rank port
  shift
  for attempt in 1 2 3; do
    port=$(free_port)
    local pids=()
    for rank in 0 1; do
      RANK=$rank WORLD_SIZE=2 LOCAL_RANK=$rank MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
        "$@" 2>"$log.rank$rank.log" &
      pids+=($!)
    done
    if wait "${pids[0]}"; then
      wait "${pids[1]}" && return 0
      cat "$log.rank1.log"
      return 1
    fi
    kill "${pids[1]}" 2>/dev/null || true
    wait "${pids[1]}" 2>/dev/null || true
    if ! grep -q "Address already in use" "$log.rank0.log"; then
      cat "$log.rank0.log"
      return 1
    fi
    echo "rendezvous port $port was taken (attempt $attempt); trying another" >&2
  done
  cat "$log.rank0.log"
  return 1
}
