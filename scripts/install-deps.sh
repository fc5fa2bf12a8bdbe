#!/usr/bin/env bash
# Installs the Debian 12 packages attn-mlir builds and tests with (LLVM/MLIR 22
# from Debian, clang/lld 22, Ninja, CMake, NumPy). Does nothing when they are
# all present.
set -euo pipefail

packages=(
  llvm-22-dev libmlir-22-dev mlir-22-tools clang-22 lld-22 libomp-22-dev
  cmake ninja-build python3 python3-numpy pybind11-dev python3-dev
  libopenblas-dev python3-pytest python3-torch
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
