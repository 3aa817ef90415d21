#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run.
# Idempotent: installs only what is missing. Run as root on Debian 12.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format git
  # libraries (see DESIGN.md: all from Debian)
  qt6-base-dev qt6-base-dev-tools libgl-dev libqt6svg6
  libqcustomplot-dev
  libtorch-dev libgloo-dev libopenblas0-pthread
  libsentencepiece-dev
  libssh-dev
  nlohmann-json3-dev
  # GUI under a virtual display, screenshots
  xvfb xauth imagemagick fonts-dejavu-core
  # deploy tests: a real sshd on loopback
  openssh-server openssh-client
  # the example device scripts (resources/device-scripts) are tested with python3
  python3
  # edge runtime cross-build and its emulated tests
  g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user
  # packaging (packaging/, tests/test_package.cpp): dependencies computed by dpkg-shlibdeps
  # (which CPack finds with `file`), PNG icons, validators, and a clean root to install into
  dpkg-dev file librsvg2-bin desktop-file-utils appstream debootstrap
)

# Optional references for the benchmarks (bench/README.md).
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-pandas python3-torch)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root (or: sudo $0) to install them" >&2
  exit 1
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
