#!/usr/bin/env bash
# The release packages: installs what is missing, builds the release preset (no tests, no test
# hooks) and makes build-release/packages/tinyllm-workbench_VERSION_ARCH.deb plus one
# tinyllm-run-VERSION-ARCH.tar.gz per device arch. docs/install.md says how to install them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
cmake --build --preset release --target runtime_archives
cpack --config build-release/CPackConfig.cmake -B build-release/packages
ls -l build-release/packages
