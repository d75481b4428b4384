#!/usr/bin/env bash
# The test command: installs dependencies, fetches the real assets, then runs every test in
# release mode (numeric code is 10–100× slower in debug builds). Real-asset tests run because
# the assets are fetched; with LORE_REQUIRE_ASSETS=1 a missing asset fails instead of skipping.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bash Scripts/install-deps.sh
bash Scripts/fetch-assets.sh
say "swift test -c release -Xswiftc -enable-testing"
swift test -c release -Xswiftc -enable-testing "$@"
