#!/usr/bin/env bash
# The labeling pages in headless Chromium (tests/node/browser_label_test.mjs): keyboard
# labeling through a SIGKILL, three annotators at once at overlap 2, hostile HTML shown as
# text, the break reminder and the admin page. Screenshots go to BUILD/test-artifacts.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -d "$ROOT/tests/node/node_modules/playwright-core" ] || [ ! -x /usr/bin/chromium ]; then
  echo "playwright-core or chromium is not installed (scripts/setup); skipped"
  exit 77
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ARTIFACTS="$(cd "$(dirname "$CHOSEI")" && pwd)/test-artifacts"
mkdir -p "$ARTIFACTS"

/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def line(f, id, prompt, chosen, rejected):
    f.write(json.dumps({"id": id, "prompt": [{"role": "user", "content": prompt}],
                        "chosen": [{"role": "assistant", "content": chosen}],
                        "rejected": [{"role": "assistant", "content": rejected}]}) + "\n")
with open(work + "/pilot.jsonl", "w") as f:
    line(f, "p1", "<img src=x onerror=window.pwned=1> Where is my order?",
         "<script>window.pwned=2</script>It ships today.", "Run this:\n```sh\ntrack --order 42\n```\nthen wait.")
    for i in range(2, 12):
        line(f, f"p{i}", f"Question {i}: how do I reset my password?", f"Open Settings, then Security ({i}).",
             f"No idea ({i}).")
with open(work + "/pair.jsonl", "w") as f:
    for i in range(1, 7):
        line(f, f"q{i}", f"Can I return item {i}?", f"Yes, within 30 days ({i}).", f"Maybe ({i}).")
with open(work + "/rest.jsonl", "w") as f:
    for i in range(1, 4):
        line(f, f"r{i}", f"Shipping question {i}", f"Two days ({i}).", f"Later ({i}).")
with open(work + "/guide.md", "w") as f:
    f.write("# Guidelines\nPrefer the **helpful** answer. See [the guide](https://example.com/guide) "
            "and [this](javascript:alert(1)).\n<script>window.pwned=3</script>\n\n- correct facts\n- polite tone\n")
PY
printf 'ana key-ana-1234\nben key-ben-5678\nchi key-chi-9012\ndan key-dan-3456\neve key-eve-7890\n' \
  >"$WORK/annotators.txt"
"$CHOSEI" label create --db "$WORK/l.db" --name pilot --pairs "$WORK/pilot.jsonl" \
  --guidelines "$WORK/guide.md" --seed 3 >/dev/null
"$CHOSEI" label create --db "$WORK/l.db" --name pair --pairs "$WORK/pair.jsonl" --overlap 2 >/dev/null
"$CHOSEI" label create --db "$WORK/l.db" --name rest --pairs "$WORK/rest.jsonl" --break-minutes 1 >/dev/null
node "$ROOT/tests/node/browser_label_test.mjs" "$CHOSEI" "$WORK" "$ARTIFACTS"
