#!/usr/bin/env bash
# Creates the pinned Python environment of the torch-mlir frontends and the
# peers benchmark: torch and torch-mlir (and onnx) from the Python package
# index, in a virtual environment of its own. The build and the core tests do
# not need it; tests that do skip when it is absent.
#
#   python/tools/setup-torch-env.sh            # creates .venv/ at the repository root
#   ATTN_VENV=/path python/tools/setup-torch-env.sh
#
# torch's wheel pulls ~3 GB of CUDA packages (import torch needs them).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${ATTN_VENV:-$root/.venv}"
python="${ATTN_VENV_PYTHON:-/usr/bin/python3}"

if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get install -y python3-venv
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
# Pinned: torch-mlir nightlies are built against one torch release.
"$venv/bin/pip" install --quiet \
  torch==2.15.0 \
  torch-mlir==20261001 \
  onnx==1.23.2 \
  numpy packaging
"$venv/bin/python" - <<'PY'
import torch, torch_mlir, onnx
print(f"torch {torch.__version__}, torch-mlir ok, onnx {onnx.__version__}")
PY
echo "environment ready: $venv"
