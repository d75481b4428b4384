#!/usr/bin/env bash
# Builds `lore` in release mode and downloads the real assets into ${LORE_CACHE:-~/.cache/lore}.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

say "swift build -c release --product lore"
swift build -c release --product lore
say "lore fetch"
"$(swift build -c release --show-bin-path)/lore" fetch "$@"
