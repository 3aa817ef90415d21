#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh) and builds the workbench into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)"
