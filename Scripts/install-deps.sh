#!/usr/bin/env bash
# Installs what Lore needs on a fresh Debian machine: OpenBLAS and LAPACKE (-dev), pkg-config,
# and pip for `lore fetch`. Safe to run again: it skips what is already there.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need=()
for pkg in libopenblas-dev liblapacke-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ! python3 -m pip --version >/dev/null 2>&1; then need+=(python3-pip); fi
if ! command -v tar >/dev/null 2>&1; then need+=(tar); fi

if [ "${#need[@]}" -gt 0 ]; then
    say "apt-get install ${need[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}"
fi
command -v swift >/dev/null 2>&1 || { echo "error: no Swift toolchain on PATH (expected Swift 6.x, e.g. /opt/swift)" >&2; exit 1; }
pkg-config --exists openblas || { echo "error: pkg-config cannot find openblas after installing libopenblas-dev" >&2; exit 1; }
