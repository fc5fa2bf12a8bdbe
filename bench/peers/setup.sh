#!/usr/bin/env bash
# Creates the pinned environment of the peers benchmark (bench/peers/run.py):
# PyTorch, OpenVINO, ONNX Runtime, JAX and IREE from the Python package index,
# in a virtual environment of the benchmark's own. Nothing else needs it.
#
#   bench/peers/setup.sh                 # creates bench/peers/.venv
#   ATTN_PEERS_VENV=/path bench/peers/setup.sh
#
# torch's wheel pulls ~3 GB of CUDA packages (import torch needs them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${ATTN_PEERS_VENV:-$here/.venv}"
python="${ATTN_VENV_PYTHON:-/usr/bin/python3}"

if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get install -y python3-venv
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet \
  torch==2.15.0 \
  openvino==2026.4.1 \
  onnxruntime==1.32.0 \
  onnx==1.23.2 \
  jax==0.10.2 jaxlib==0.10.2 \
  iree-base-compiler==3.13.0 iree-base-runtime==3.13.0 iree-turbine==3.9.0 \
  ml-dtypes numpy matplotlib
"$venv/bin/python" - <<'PY'
import importlib
for name in ("torch", "openvino", "onnxruntime", "jax", "iree.compiler",
             "iree.runtime", "iree.turbine", "matplotlib"):
    m = importlib.import_module(name)
    print(f"{name} {getattr(m, '__version__', 'ok')}")
PY
echo "peers environment ready: $venv"
