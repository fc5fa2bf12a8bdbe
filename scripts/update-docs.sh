#!/usr/bin/env bash
# Regenerates the op and pass reference (ODS -> Markdown) into docs/generated.
set -euo pipefail
cd "$(dirname "$0")/.."
ninja -C build mlir-doc
cp build/docs/Attn/AttnDialect.md docs/generated/AttnDialect.md
cp build/docs/AttnPasses.md build/docs/AttnConversionPasses.md docs/generated/
