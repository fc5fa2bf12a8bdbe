#!/usr/bin/env bash
# Installs what is missing, builds, and shows attn-mlir on a multi-head
# attention block: the stages fuse into attn.sdpa, and the block runs on the
# CPU and matches the unfused reference.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
echo
echo "== attn-opt examples/mha_block.mlir --attn-fuse"
build/bin/attn-opt examples/mha_block.mlir --attn-fuse
echo
echo "== attn-run examples/mha_block.mlir --random --check --bench=3"
build/bin/attn-run examples/mha_block.mlir --random --check --bench=3
