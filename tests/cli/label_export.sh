#!/usr/bin/env bash
# `chosei label export`: majority decisions per item (an even split dropped and counted),
# ties and both-bad out of pairwise formats, KTO's both-bad and strong-win rules,
# --min-agreement, provenance on every line; each export reads back as preference data and
# the TRL export trains `chosei reward train` as it is.
set -euo pipefail
CHOSEI="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for i in 1 2 3 4 5 6; do
  echo "{\"id\":\"q$i\",\"prompt\":[{\"role\":\"user\",\"content\":\"question $i\"}],\"chosen\":[{\"role\":\"assistant\",\"content\":\"first $i\"}],\"rejected\":[{\"role\":\"assistant\",\"content\":\"second $i\"}]}"
done >"$WORK/pairs.jsonl"
"$CHOSEI" label create --db "$WORK/l.db" --name s --pairs "$WORK/pairs.jsonl" --overlap 3 >/dev/null
/usr/bin/python3 - "$WORK/labels.jsonl" <<'PY'
import json, sys
votes = {  # item -> (ana, ben, chi); "B" = b much better
    "q1": ("a", "a", "b"), "q2": ("B", "B", "b"), "q3": ("tie", "tie", "a"),
    "q4": ("both_bad", "both_bad", "both_bad"), "q5": ("a", "b", None), "q6": (None, None, None)}
with open(sys.argv[1], "w") as f:
    for item, vs in votes.items():
        for who, v in zip(("ana", "ben", "chi"), vs):
            if v:
                f.write(json.dumps({"item": item, "annotator": who, "choice": v.lower(),
                                    "strength": 2 if v == "B" else 1}) + "\n")
PY
"$CHOSEI" label import --db "$WORK/l.db" --labels "$WORK/labels.jsonl" >/dev/null
for f in trl openai-dpo kto; do
  "$CHOSEI" label export --db "$WORK/l.db" --format "$f" --out "$WORK/$f.jsonl" >"$WORK/$f.log"
done
"$CHOSEI" label export --db "$WORK/l.db" --format trl --min-agreement 0.9 --out "$WORK/strict.jsonl" >/dev/null
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
read = lambda n: [json.loads(l) for l in open(f"{w}/{n}.jsonl")]
trl = read("trl")
assert [(x["metadata"]["item"], x["chosen"][0]["content"], x["rejected"][0]["content"]) for x in trl] == \
    [("q1", "first 1", "second 1"), ("q2", "second 2", "first 2")], trl
assert trl[0]["prompt"] == [{"role": "user", "content": "question 1"}]
assert abs(trl[0]["metadata"]["agreement"] - 2 / 3) < 1e-12 and trl[0]["metadata"]["annotators"] == ["ana", "ben", "chi"]
assert trl[1]["metadata"]["strong"] is True and trl[0]["metadata"]["strong"] is False
dpo = read("openai-dpo")
assert [x["preferred_output"][0]["content"] for x in dpo] == ["first 1", "second 2"], dpo
assert dpo[0]["input"]["messages"][0]["content"] == "question 1"
kto = read("kto")
got = [(x["metadata"]["item"], x["completion"][0]["content"], x["label"]) for x in kto]
assert got == [("q1", "first 1", True), ("q2", "second 2", True), ("q2", "first 2", False),
               ("q4", "first 4", False), ("q4", "second 4", False)], got
log = open(f"{w}/trl.log").read()
for part in ("annotators_split 1", "no_decision 1", "tie 1", "both_bad 1"):
    assert part in log, log
assert [x["metadata"]["item"] for x in read("strict")] == ["q2"]  # q1's 2 of 3 is below 0.9
print("export: majorities, left-out counts, KTO rules and --min-agreement as specified")
PY
for f in trl openai-dpo kto; do
  "$CHOSEI" data validate "$WORK/$f.jsonl" >/dev/null || { echo "$f export does not read back"; exit 1; }
done
# The TRL export trains a reward model as it is (a tiny model, a few steps).
for i in 1 2 3 4 5 6; do echo "question $i first $i second $i"; done >"$WORK/texts.txt"
"$CHOSEI" tokenizer train --vocab-size 300 --out "$WORK/tok" "$WORK/texts.txt" >/dev/null
"$CHOSEI" model init --preset tiny --tokenizer "$WORK/tok" --out "$WORK/init" --seed 1 >/dev/null
"$CHOSEI" reward train --set model="$WORK/init" --set train="$WORK/trl.jsonl" --set out="$WORK/rm" \
  --set max_steps=2 --set batch_size=2 --set max_seq_len=64 >/dev/null
[ -f "$WORK/rm/final/model.safetensors" ]
echo "label_export: all checks passed"
