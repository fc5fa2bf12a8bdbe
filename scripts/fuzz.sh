#!/usr/bin/env bash
# Fuzzes the parser, the verifiers and the attn passes and pipelines with
# libFuzzer under ASan and UBSan (tools/attn-fuzz, built by
# scripts/build-sanitized.sh), seeded with every .mlir file under test/.
#
#   scripts/fuzz.sh [SECONDS [LIBFUZZER FLAGS...]]   # default 600 s
#   scripts/fuzz.sh 1800 -fork=2 -ignore_crashes=1  # keep going past crashes
#
# Crashing inputs land in fuzz-out/crashes/.
#
# Each crashing input found is fixed and added as a regression test under
# test/Robustness/Inputs/fuzz/ (run by test/Robustness/fuzz-regressions.test).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
[ -x build-san/bin/attn-fuzz ] || scripts/build-sanitized.sh --no-test
mkdir -p fuzz-out/corpus fuzz-out/crashes
seeds=fuzz-out/seeds
rm -rf "$seeds" && mkdir -p "$seeds"
# One seed per function of the split test files.
python3 - "$seeds" <<'PY'
import os, sys, pathlib
out = sys.argv[1]
n = 0
for path in pathlib.Path("test").rglob("*.mlir"):
    text = path.read_text(errors="replace")
    for part in text.split("// -----"):
        if "func.func" in part and len(part) < 20000:
            pathlib.Path(out, f"seed{n:05d}.mlir").write_text(part)
            n += 1
print(f"{n} seeds")
PY
export ASAN_OPTIONS="detect_leaks=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
build-san/bin/attn-fuzz fuzz-out/corpus "$seeds" \
  -max_total_time="$seconds" -max_len=20000 -timeout=30 -rss_limit_mb=4096 \
  -artifact_prefix=fuzz-out/crashes/ -print_final_stats=1 \
  -dict=tools/attn-fuzz/attn.dict "$@"
