# Sourced by the end-to-end tests: SIGKILLs a training run right after it wrote a checkpoint.
# kill_after_checkpoint PID RUN_DIR STEP: waits (as long as the run lives: a loaded machine
# may take minutes) for RUN_DIR/checkpoints/step-STEP, kills, and fails unless the run was
# killed mid-way (a checkpoint there, no final/ yet).
kill_after_checkpoint() {
  local pid="$1" dir="$2" step="$3"
  while kill -0 "$pid" 2>/dev/null && [ ! -f "$dir/checkpoints/step-$step/trainer_state.json" ]; do
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ ! -d "$dir/final" ] || { echo "the run finished before the kill: nothing was resumed"; return 1; }
  [ -d "$dir/checkpoints/step-$step" ] || { echo "no checkpoint before the kill"; return 1; }
}
