#!/usr/bin/env bash
# One-command set-up on Debian/Ubuntu: system packages (when root or with sudo; otherwise prints
# what to install), npm ci (which builds the addon and compiles the TypeScript), then the main job.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake libtorch-dev libopenblas0-pthread libgloo-dev libturbojpeg0-dev nlohmann-json3-dev libdlib-dev libdlib-data)
# Only for the test suite's PyTorch oracle, the metric references and the report checks, and the C++ formatter.
TEST_PACKAGES=(patchelf python3-torch python3-torchvision python3-numpy python3-sklearn chromium clang-format)

missing=()
for p in "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" = none ]; then
    echo "vgg2-torch setup: please install the system packages first (as root):" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "vgg2-torch setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

npm ci
node bin/vgg2-torch.js info
if [ -f dist/bin/commands/train.js ]; then
  node bin/vgg2-torch.js train --demo
fi
