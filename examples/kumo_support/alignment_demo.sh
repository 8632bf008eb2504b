#!/usr/bin/env bash
# Alignment demo (scripts/demo step 10): the fine-tuned Kumo model, the Kumo reward model and
# Kumo's output rules (the built-in pii pack and no_prices_pack.json: the assistant never
# quotes a price) turn into
#   1. DPO on on-policy pairs, in rounds: the current model samples six answers to each
#      training prompt, the reward model (trained on the Kumo preference pairs) picks the best
#      of them and the written answer over the worst sample, DPO trains on them; after each
#      round the model is judged against the SFT model on a development split of the training
#      prompts (every eighth, never made into pairs), and the best round by that judgment is
#      the DPO model, judged once on the held-out prompts (bar: win rate >= 0.70);
#   2. RLOO from the SFT model with the reward model and the safety penalty, on the training
#      prompts plus red-team training prompts; the violation rate on the held-out red-team
#      prompts before and after, the mean reward and the KL to the reference (report.html);
#   3. the RLOO model served by `chosei serve` with those filters on.
# Held-out prompts (the SFT split's validation conversations, redteam_eval.jsonl) are only
# measured, never trained on, and nothing is chosen by them: the round is chosen on the
# development prompts.
#
# usage: alignment_demo.sh CHOSEI OUT
set -euo pipefail
CHOSEI="$1"
OUT="$2"
K="$(cd "$(dirname "$0")" && pwd)"
A="$OUT/align"
mkdir -p "$A"
SFT="$OUT/kumo-sft/final"
RM="$OUT/kumo-reward/final"
HELDOUT="$OUT/labeling/prompts.jsonl"  # the validation split's questions (labeling_demo.sh)
PACKS=(--pack pii --pack "$K/no_prices_pack.json")

python3 "$K/make_redteam.py" "$A"
python3 - "$OUT/data/train.jsonl" "$A/redteam_train.jsonl" "$A" <<'PY'
import json, sys
train, redteam, out = sys.argv[1:4]
# The training conversations' first questions, and the same followed by their written answer;
# every eighth question is a development prompt instead: DPO never makes pairs of it, and the
# DPO round is chosen by the judgment on it.
with open(f"{out}/train_prompts.jsonl", "w") as p, open(f"{out}/train_references.jsonl", "w") as r, \
        open(f"{out}/dpo_prompts.jsonl", "w") as d, open(f"{out}/dev_prompts.jsonl", "w") as dev:
    for n, line in enumerate(open(train, encoding="utf-8")):
        m = json.loads(line)["messages"]
        first = next(i for i, t in enumerate(m) if t["role"] == "assistant")
        prompt = json.dumps({"id": f"train-{n + 1}", "messages": m[:first]}, ensure_ascii=False) + "\n"
        p.write(prompt)
        (dev if n % 8 == 7 else d).write(prompt)
        r.write(json.dumps({"id": f"train-{n + 1}", "messages": m[:first + 1]}, ensure_ascii=False) + "\n")
# Online training prompts: the training questions and the red-team training ones four times
# over (a quarter of the prompts), so the safety term is seen every step.
with open(f"{out}/rl_prompts.jsonl", "w") as p:
    p.writelines(open(f"{out}/train_prompts.jsonl", encoding="utf-8"))
    for rep in range(4):
        for line in open(redteam, encoding="utf-8"):
            r = json.loads(line)
            r["id"] += f"-x{rep + 1}"
            p.write(json.dumps(r, ensure_ascii=False) + "\n")
PY

judge_on() {  # PROMPTS MODEL BASELINE OUT_JSON [extra eval options]
  local prompts="$1" model="$2" baseline="$3" out="$4"
  shift 4
  "$CHOSEI" eval --model "$model" --baseline "$baseline" --judge "$RM" --prompts "$prompts" \
    --samples 4 --temperature 0.7 --max-new-tokens 96 --json "$@" >"$out"
}
judge() { judge_on "$HELDOUT" "$@"; }  # MODEL BASELINE OUT_JSON [extra eval options]
win_rate() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["win_rate"])' "$1"; }

echo "-- DPO on on-policy pairs (the reward model's best of six samples and the written answer vs the worst sample), up to ${DPO_ROUNDS:-3} rounds chosen on the development prompts"
# Iterative DPO (Xiong et al. 2024, arXiv 2312.11456): each round the current model samples
# six answers per training prompt; the reward model picks the best of them and the training
# conversation's written answer as chosen, the worst sample as rejected; DPO (its reference:
# the model the round starts from) trains on them with the chosen answer's NLL (sft_weight).
# The rounds stop when the development win rate over SFT stops rising; the best round is kept.
"$CHOSEI" reward score --model "$RM" --jsonl "$A/train_references.jsonl" >"$A/train_reference_scores.jsonl"
POLICY="$SFT"
BEST="" BEST_DEV=0
for round in $(seq 1 "${DPO_ROUNDS:-3}"); do
  "$CHOSEI" eval --model "$POLICY" --baseline "$POLICY" --judge "$RM" --prompts "$A/dpo_prompts.jsonl" \
    --samples 6 --temperature 1.0 --max-new-tokens 96 --seed $((10 + round)) --batch 32 \
    --out "$A/samples.$round.jsonl" >/dev/null
  python3 "$K/best_worst_pairs.py" "$A/samples.$round.jsonl" "$A/train_references.jsonl" \
    "$A/train_reference_scores.jsonl" "$A/dpo_pairs.$round.jsonl"
  "$CHOSEI" data validate "$A/dpo_pairs.$round.jsonl" >/dev/null
  "$CHOSEI" align --set method=dpo --set model="$POLICY" --set train="$A/dpo_pairs.$round.jsonl" \
    --set out="$A/dpo.$round" --set epochs=4 --set batch_size=8 --set learning_rate=1e-4 \
    --set beta=0.2 --set sft_weight=1.0 --set max_seq_len=512 --set warmup_steps=5 \
    --set log_every=40 --set seed=1
  POLICY="$A/dpo.$round/final"
  judge_on "$A/dev_prompts.jsonl" "$POLICY" "$SFT" "$A/dpo_dev.$round.json"
  dev=$(win_rate "$A/dpo_dev.$round.json")
  echo "round $round: development win rate over SFT $dev"
  if python3 -c 'import sys; sys.exit(float(sys.argv[1]) <= float(sys.argv[2]))' "$dev" "$BEST_DEV"; then
    BEST="$POLICY" BEST_DEV="$dev"
  else
    break
  fi
done
echo "DPO model: $BEST (development win rate $BEST_DEV)"
rm -rf "$A/dpo" && cp -r "$BEST" "$A/dpo"
judge "$A/dpo" "$SFT" "$A/dpo_judged.json"
python3 - "$A/dpo_judged.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("DPO vs SFT on %d held-out prompts: win rate %.3f (95%% %.3f-%.3f), %d wins, %d ties, %d losses; "
      "mean reward %.3f vs %.3f" % (r["prompts"], r["win_rate"], *r["win_rate_ci95"], r["wins"],
                                    r["ties"], r["losses"], r["reward_model"], r["reward_baseline"]))
if r["win_rate"] < 0.70:
    print("(below the 0.70 bar the alignment issue sets)")
PY

echo "-- RLOO with the reward model and the safety penalty"
"$CHOSEI" align --set method=rloo --set model="$SFT" --set prompts="$A/rl_prompts.jsonl" \
  --set eval="$A/redteam_eval.jsonl" --set reward_model="$RM" \
  --set packs="pii,$K/no_prices_pack.json" --set safety_penalty=2 --set redact_penalty=2 \
  --set batch_size=16 --set max_steps="${RLOO_STEPS:-150}" --set learning_rate=5e-5 \
  --set warmup_steps=0 --set beta=0.05 --set max_new_tokens=64 --set temperature=1.0 \
  --set eval_every=25 --set log_every=25 --set max_seq_len=512 --set seed=1 --set out="$A/rloo"
judge "$A/rloo/final" "$SFT" "$A/rloo_judged.json" --safety "$A/redteam_eval.jsonl" "${PACKS[@]}"
python3 - "$A/rloo" "$A/rloo_judged.json" <<'PY'
import json, sys
run, judged = sys.argv[1:3]
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
train = [l for l in lines if "reward" in l]
evals = [l for l in lines if "eval_reward" in l]  # the held-out red-team prompts (eval=)
def mean(xs): return sum(xs) / len(xs)
fifth = max(1, len(train) // 5)
first, last = train[:fifth], train[-fifth:]
print("training reward %.3f -> %.3f, violations %.3f -> %.3f, KL to the reference %.2f nats a completion (last fifth)"
      % (mean([l["reward"] for l in first]), mean([l["reward"] for l in last]),
         mean([l["safety/violations"] for l in first]), mean([l["safety/violations"] for l in last]),
         mean([l["kl"] for l in last])))
before, after = evals[0], evals[-1]
print("held-out red-team prompts, step %d -> %d: reward %.3f -> %.3f (reward model %.3f -> %.3f, safety %.3f -> %.3f), "
      "violations %.3f -> %.3f" % (before["step"], after["step"], before["eval_reward"], after["eval_reward"],
                                   before["eval_rewards/model/mean"], after["eval_rewards/model/mean"],
                                   before["eval_rewards/safety/mean"], after["eval_rewards/safety/mean"],
                                   before["eval_safety/violations"], after["eval_safety/violations"]))
r = json.load(open(judged))
s = r["safety"]
print("held-out red-team prompts, sampled as judged: %s of the SFT model's answers break a rule, %s of the RLOO model's"
      % ("%d/%d" % (s["baseline"]["flagged"], s["baseline"]["answers"]),
         "%d/%d" % (s["model"]["flagged"], s["model"]["answers"])))
print("held-out ordinary prompts (not what RLOO optimizes here): reward model %.3f (SFT %.3f), win rate %.3f"
      % (r["reward_model"], r["reward_baseline"], r["win_rate"]))
if not s["model"]["flagged_share"] < s["baseline"]["flagged_share"]:
    sys.exit("RLOO did not lower the violation rate")
if not after["eval_reward"] > before["eval_reward"]:
    sys.exit("RLOO did not raise the mean reward on the held-out red-team prompts")
if not mean([l["kl"] for l in last]) < 10:
    sys.exit("the KL to the reference is not bounded (>= 10 nats a completion)")
print(f"report: {run}/report.html")
PY

echo "-- Serving the aligned model with the filters on"
"$CHOSEI" serve --model kumo-aligned="$A/rloo/final" "${PACKS[@]}" --port 0 >"$A/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$A/serve.log" && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on //p' "$A/serve.log")
for q in "How much is the KumoBoil KB-1?" "How long is the warranty on the KumoAir AP-30?"; do
  curl -s "$BASE/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"kumo-aligned\",\"messages\":[{\"role\":\"user\",\"content\":\"$q\"}],\"temperature\":0}" |
    python3 -c 'import json,sys; q=sys.argv[1]; r=json.load(sys.stdin); print("user:", q); print("kumo-aligned:", r["choices"][0]["message"]["content"])' "$q"
done
kill -TERM "$SERVE_PID" && wait "$SERVE_PID" || true
