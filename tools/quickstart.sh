#!/bin/sh
# tools/quickstart.sh - first run on a fresh machine: install missing build dependencies,
# build, and summarise the sample logs shipped in samples/ (a rotated, partly compressed set
# captured from a real Postfix).
set -e
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
make -j"$(nproc 2>/dev/null || echo 2)"
./mailsleuth summary --tz UTC samples/
