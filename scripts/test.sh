#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every CTest suite (all labels).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --preset default -j "$(nproc)" "$@"
