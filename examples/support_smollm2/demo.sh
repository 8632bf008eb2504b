#!/usr/bin/env bash
# The real-model demo (scripts/demo): SmolLM2-135M-Instruct, from the GGUF in the models
# cache, adapted to customer support (Bitext's conversations and Kumo's), measured at each
# step against the model it started from:
#   1. import the GGUF as a Hugging Face directory in bf16, as SmolLM2 is published;
#   2. convert Bitext's CSV, check, clean and split it (by intent) and Kumo's conversations
#      (by language); deal the parts out (prepare.py: each used for one thing only);
#   3. SFT with LoRA (r 16, every projection), merged into a bf16 model;
#   4. held-out loss and token F1 against the untouched model, and general chat loss before
#      and after (forgetting);
#   5. a labeling session: both models answer prompts SFT never saw, three simulated agents
#      label the pairs through the JSON API, the majority is exported;
#   6. a reward model on the same backbone (the SFT model, LoRA) from those labels and Kumo's
#      preference pairs, its accuracy on held-out Kumo pairs;
#   7. SFT against the base judged by the reward model on held-out prompts, with XSTest's safe
#      prompts (refusals) and held-out red-team prompts (what the filters catch);
#   8. DPO on on-policy pairs, in rounds chosen on development prompts, judged against SFT;
#   9. RLOO from the DPO model with the reward model and the safety filters as a penalty,
#      judged against SFT with the same refusal and red-team measurements;
#  10. GGUF export of the aligned model; `chosei serve` with the filters and the web chat,
#      where the ten questions are asked in the page (screenshots, transcript) of the base,
#      SFT and aligned models;
#  11. a table of it all, with what each stage cost.
# usage: demo.sh CHOSEI OUT quick|full
set -euo pipefail
CHOSEI="$1"
OUT="$2"
MODE="$3"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
K="$ROOT/examples/kumo_support"
DATA="${CHOSEI_TEST_DATA:-$ROOT/../shared/data}"
MODELS="${CHOSEI_MODELS:-$HOME/.cache/chosei/models}"
PY=/usr/bin/python3
GGUF="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -f "$GGUF" ] || { echo "the models cache lacks $GGUF (scripts/setup installs it)"; exit 1; }
[ -d "$DATA/sft_customer_support_bitext" ] || { echo "$DATA (../shared/data) not found"; exit 1; }
mkdir -p "$OUT"
COSTS="$OUT/costs.tsv"
: >"$COSTS"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
STAGE_START=$SECONDS
STAGE=""
stage() {  # NAME HEADLINE: closes the previous stage's timing and starts this one
  [ -z "$STAGE" ] || printf '%s\t%d\n' "$STAGE" $((SECONDS - STAGE_START)) >>"$COSTS"
  STAGE="$1" STAGE_START=$SECONDS
  [ -z "$1" ] || say "$2"
}
if [ "$MODE" = quick ]; then
  SFT_LR=1e-3 SFT_BATCH=4 LABEL_SAMPLES=1 RM_EPOCHS=1 DPO_ROUNDS=1 DPO_SAMPLES=2 RLOO_STEPS=4
  JUDGE_SAMPLES=1 NEW=96 QUESTIONS=10
  ASKED=(smollm2-base support-aligned)
else
  SFT_LR=5e-4 SFT_BATCH=8 LABEL_SAMPLES=2 RM_EPOCHS=1 DPO_ROUNDS=2 DPO_SAMPLES=4 RLOO_STEPS=30
  JUDGE_SAMPLES=1 NEW=128 QUESTIONS=10
  ASKED=(smollm2-base support-sft support-aligned)
fi
GEN=(--precision bf16 --batch 16)
PACKS=(--pack pii --pack "$K/no_prices_pack.json")
LORA=(--set lora.r=16 --set lora.alpha=32 --set lora.dropout=0
  --set lora.target_modules=q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj)

stage "import" "Importing SmolLM2-135M-Instruct (the models cache's GGUF) in bf16"
"$CHOSEI" model import --format gguf --weights "$GGUF" --out "$OUT/base" --dtype bf16
"$CHOSEI" model info "$OUT/base" | head -5

stage "data" "Data: Bitext's CSV converted, checked, cleaned and split by intent; Kumo's by language"
D="$OUT/data"
mkdir -p "$D/bitext" "$D/kumo"
"$CHOSEI" data convert --from csv --map instruction=user --map response=assistant --keep intent \
  --keep category "$DATA/sft_customer_support_bitext/Bitext_Sample_Customer_Support_Training_Dataset.csv" \
  --out "$D/bitext.jsonl"
"$CHOSEI" data validate "$D/bitext.jsonl" | tail -3
"$CHOSEI" data clean "$D/bitext.jsonl" --out "$D/bitext.clean.jsonl" | tail -3
"$CHOSEI" data split --val 0.1 --seed 1 --stratify intent "$D/bitext.clean.jsonl" --out-dir "$D/bitext"
"$CHOSEI" data validate "$K/conversations.jsonl" | tail -1
"$CHOSEI" data split --val 0.2 --seed 1 --stratify lang "$K/conversations.jsonl" --out-dir "$D/kumo"
$PY "$K/make_redteam.py" "$D"
$PY "$HERE/prepare.py" "$D" "$K" "$D" "$DATA" "$D" "$MODE"
"$CHOSEI" data stats --tokenizer "$OUT/base" "$D/sft.jsonl" 2>/dev/null | head -8 || true

stage "sft" "SFT: LoRA r 16 on every projection, the model's own chat template, assistant tokens only"
"$CHOSEI" sft --set model="$OUT/base" --set train="$D/sft.jsonl" --set out="$OUT/sft" "${LORA[@]}" \
  --set epochs=1 --set batch_size=$SFT_BATCH --set learning_rate=$SFT_LR \
  --set lr_schedule=cosine --set warmup_steps=3 --set max_seq_len=512 --set packing=false \
  --set log_every=5 --set seed=1
"$CHOSEI" lora merge --base "$OUT/base" --adapter "$OUT/sft/final" --out "$OUT/sft-model"

stage "eval" "Held-out evaluation: loss and token F1 against the untouched model; general chat loss (forgetting)"
"$CHOSEI" eval --model "$OUT/sft-model" --baseline "$OUT/base" --data "$D/heldout.jsonl" \
  --general "$D/general.jsonl" --max-examples 1000 --max-new-tokens $NEW "${GEN[@]}" \
  --out "$OUT/heldout_answers.jsonl" --json >"$OUT/eval.json"
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); m,b=r["model"],r["baseline"]; print("held-out loss %.3f -> %.3f, token F1 %.3f -> %.3f; general loss %.3f -> %.3f (forgetting %+.3f)" % (b["loss"], m["loss"], b["token_f1"], m["token_f1"], b["general_loss"], m["general_loss"], r["forgetting"]))' "$OUT/eval.json"

stage "labeling" "Labeling session: SFT and base answer unseen prompts; three simulated agents label them"
L="$OUT/labeling"
rm -rf "$L" && mkdir -p "$L"
"$CHOSEI" label create --db "$L/support.db" --name support-pilot --prompts "$D/label_prompts.jsonl" \
  --model support-sft="$OUT/sft-model" --model smollm2-base="$OUT/base" --temperature 0.7 \
  --top-p 0.9 --max-new-tokens $NEW --batch 16 --precision bf16 --overlap 3 --seed 1 --samples $LABEL_SAMPLES \
  --guidelines "$K/labeling_guidelines.md"
printf 'ana demo-key-ana\nben demo-key-ben\nchi demo-key-chi\n' >"$L/annotators.txt"
"$CHOSEI" label serve --db "$L/support.db" --annotators "$L/annotators.txt" \
  --admin-key demo-admin-key --port 0 >"$L/serve.log" 2>&1 &
LABEL_PID=$!
trap 'kill -TERM $LABEL_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$L/serve.log" && break; sleep 0.1; done
BASE_URL=$(sed -n 's/^listening on //p' "$L/serve.log")
$PY "$K/simulate_annotators.py" "$BASE_URL" "$L/annotators.txt" "$D/label_references.jsonl"
kill -TERM $LABEL_PID && wait $LABEL_PID || true
trap - EXIT
"$CHOSEI" label stats --db "$L/support.db" --json >"$L/stats.json"
"$CHOSEI" label stats --db "$L/support.db" | tail -6
"$CHOSEI" label export --db "$L/support.db" --format trl --out "$L/preferences.jsonl"

stage "reward" "Reward model on the SFT backbone (LoRA): the labels and Kumo's preference pairs"
R="$OUT/reward"
mkdir -p "$R"
"$CHOSEI" data convert --to trl "$D/kumo_pairs.jsonl" --out "$R/kumo_pairs.trl.jsonl" >/dev/null
cat "$L/preferences.jsonl" "$R/kumo_pairs.trl.jsonl" >"$R/train.jsonl"
"$CHOSEI" data validate "$R/train.jsonl" | tail -1
"$CHOSEI" reward train --set model="$OUT/sft-model" --set train="$R/train.jsonl" --set out="$R/run" \
  "${LORA[@]}" --set epochs=$RM_EPOCHS --set batch_size=8 --set learning_rate=5e-4 \
  --set lr_schedule=cosine --set warmup_steps=3 --set max_seq_len=512 --set log_every=5 --set seed=1
RM="$R/run/final"
"$CHOSEI" reward eval --model "$RM" --data "$D/kumo_pairs_val.jsonl" --report "$R/eval.html" --json >"$R/eval.json"
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("reward model on %d held-out Kumo pairs: accuracy %.3f (95%% %.3f-%.3f); shorter answer wins %.3f, longer %.3f" % (r["pairs"], r["accuracy"], *r["accuracy_ci95"], r["shorter_answer_wins"], r["longer_answer_wins"]))' "$R/eval.json"

judge() {  # MODEL BASELINE OUT_JSON [extra eval options]: judged on the held-out prompts
  local model="$1" baseline="$2" out="$3"
  shift 3
  "$CHOSEI" eval --model "$model" --baseline "$baseline" --judge "$RM" --prompts "$D/heldout_prompts.jsonl" \
    --samples $JUDGE_SAMPLES --temperature 0.7 --max-new-tokens $NEW "${GEN[@]}" --json "$@" >"$out"
}
measured() {  # MODEL BASELINE OUT_JSON: judged, with XSTest's safe prompts and the red-team ones
  judge "$@" --benign "$D/xstest_safe.jsonl" --safety "$D/redteam_eval.jsonl" "${PACKS[@]}"
}

stage "judge SFT" "Judged: SFT against the base on held-out prompts; XSTest's safe prompts; red-team prompts"
measured "$OUT/sft-model" "$OUT/base" "$OUT/judged_sft.json"

stage "DPO" "DPO on on-policy pairs (the reward model's best of $DPO_SAMPLES samples or the written answer, against the worst)"
A="$OUT/align"
mkdir -p "$A"
"$CHOSEI" reward score --model "$RM" --jsonl "$D/dpo_references.jsonl" >"$A/reference_scores.jsonl"
POLICY="$OUT/sft-model" BEST="$OUT/sft-model" BEST_DEV=0
for round in $(seq 1 $DPO_ROUNDS); do
  "$CHOSEI" eval --model "$POLICY" --baseline "$POLICY" --judge "$RM" --prompts "$D/dpo_prompts.jsonl" \
    --samples $DPO_SAMPLES --temperature 1.0 --max-new-tokens $NEW --seed $((10 + round)) "${GEN[@]}" \
    --out "$A/samples.$round.jsonl" >/dev/null
  $PY "$K/best_worst_pairs.py" "$A/samples.$round.jsonl" "$D/dpo_references.jsonl" \
    "$A/reference_scores.jsonl" "$A/pairs.$round.jsonl"
  "$CHOSEI" align --set method=dpo --set model="$POLICY" --set train="$A/pairs.$round.jsonl" \
    --set out="$A/dpo.$round" "${LORA[@]}" --set epochs=1 --set batch_size=4 --set learning_rate=2e-4 \
    --set beta=0.1 --set sft_weight=1.0 --set max_seq_len=512 --set warmup_steps=2 \
    --set log_every=5 --set seed=1
  "$CHOSEI" lora merge --base "$POLICY" --adapter "$A/dpo.$round/final" --out "$A/dpo-model.$round"
  POLICY="$A/dpo-model.$round"
  if [ "$DPO_ROUNDS" = 1 ]; then BEST="$POLICY" BEST_DEV="(one round: not judged)" && break; fi
  "$CHOSEI" eval --model "$POLICY" --baseline "$OUT/sft-model" --judge "$RM" --prompts "$D/dev_prompts.jsonl" \
    --samples 2 --temperature 0.7 --max-new-tokens $NEW "${GEN[@]}" --json >"$A/dev.$round.json"
  dev=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["win_rate"])' "$A/dev.$round.json")
  echo "round $round: development win rate over SFT $dev"
  if $PY -c 'import sys; sys.exit(float(sys.argv[1]) <= float(sys.argv[2]))' "$dev" "$BEST_DEV"; then
    BEST="$POLICY" BEST_DEV="$dev"
  else
    break
  fi
done
echo "DPO model: $BEST (development win rate over SFT $BEST_DEV)"
ln -sfn "$(cd "$BEST" && pwd)" "$OUT/dpo-model"
judge "$OUT/dpo-model" "$OUT/sft-model" "$OUT/judged_dpo.json"

stage "RLOO" "RLOO from the DPO model: the reward model plus the safety filters' penalty"
"$CHOSEI" align --set method=rloo --set model="$OUT/dpo-model" --set prompts="$D/rl_prompts.jsonl" \
  --set eval="$D/redteam_eval.jsonl" --set reward_model="$RM" "${LORA[@]}" \
  --set packs="pii,$K/no_prices_pack.json" --set safety_penalty=2 --set redact_penalty=2 \
  --set batch_size=8 --set max_steps=$RLOO_STEPS --set learning_rate=5e-5 --set warmup_steps=0 \
  --set beta=0.05 --set max_new_tokens=64 --set temperature=1.0 --set eval_every=$RLOO_STEPS \
  --set log_every=2 --set max_seq_len=512 --set precision=bf16 --set seed=1 --set out="$A/rloo"
"$CHOSEI" lora merge --base "$OUT/dpo-model" --adapter "$A/rloo/final" --out "$OUT/aligned-model"
measured "$OUT/aligned-model" "$OUT/sft-model" "$OUT/judged_aligned.json"

stage "GGUF export" "GGUF export of the aligned model (llama.cpp, Ollama)"
"$CHOSEI" export gguf --model "$OUT/aligned-model" --out "$OUT/support-aligned.q8_0.gguf" --type q8_0

stage "serve and ask" "Serving base, SFT and aligned models with the filters; the ten questions asked in the web chat"
S="$OUT/chat"
rm -rf "$S" && mkdir -p "$S"
"$CHOSEI" serve --model smollm2-base="$OUT/base" --model support-sft="$OUT/sft-model" \
  --model support-aligned="$OUT/aligned-model" "${PACKS[@]}" --api-key demo-chat-key \
  --precision bf16 --port 0 >"$S/serve.log" 2>&1 &
SERVE_PID=$!
trap 'kill -TERM $SERVE_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do grep -q "listening on" "$S/serve.log" && break; sleep 0.1; done
BASE_URL=$(sed -n 's/^listening on //p' "$S/serve.log")
head -n $QUESTIONS "$HERE/ten_questions.txt" >"$S/questions.txt"
node "$HERE/ask_in_browser.mjs" "$BASE_URL" demo-chat-key "$S/questions.txt" "$S" "${ASKED[@]}" >"$S/asked.log"
kill -TERM $SERVE_PID && wait $SERVE_PID || true
trap - EXIT
$PY "$HERE/transcript.py" "$S/transcript.json" >"$S/transcript.md"
echo "transcript: $S/transcript.md, screenshots: $S/*.png"
stage ""

$PY "$HERE/table.py" "$OUT" "$COSTS" | tee "$OUT/table.md"
echo "(run it yourself: $CHOSEI serve --model support=$OUT/aligned-model --pack pii, then open the printed address)"
