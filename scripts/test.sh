#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (lit:
# FileCheck tests and execution tests against a float64 NumPy oracle).
# Ends with a line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }
log=$(mktemp)
/usr/lib/llvm-22/bin/lit -sv build/test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | head -1; }
passed=$(count Passed); passed=${passed:-0}
failed=0
for kind in Failed Unresolved "Timed Out" XPASS; do
  n=$(count "$kind"); failed=$((failed + ${n:-0}))
done
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
rm -f "$log"
echo "$passed passed, $failed failed"
exit "$status"
