#!/usr/bin/env bash
# The main job: installs what is missing, builds, then opens the workbench; with no display it
# runs the whole pipeline headless on the built-in demo project instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x build/bin/tinyllm-studio ]; then
  exec build/bin/tinyllm-studio "$@"
fi
exec build/bin/tinyllm demo "$@"
