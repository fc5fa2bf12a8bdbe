#!/usr/bin/env bash
# Builds attn-mlir with AddressSanitizer and UndefinedBehaviorSanitizer into
# ./build-san (plus libFuzzer coverage instrumentation and tools/attn-fuzz),
# then runs the lit suite in it.
#
#   scripts/build-sanitized.sh           # build and run the whole suite
#   scripts/build-sanitized.sh --no-test # build only
#
# The Python tests run the instrumented extension in /usr/bin/python3 with
# the shared ASan runtime preloaded (test/lit.cfg.py). UBSan's vptr check is
# off: LLVM and MLIR are built without RTTI.
set -euo pipefail
cd "$(dirname "$0")/.."
# The sanitizer and libFuzzer runtimes.
if ! dpkg -s libclang-rt-22-dev >/dev/null 2>&1; then
  apt-get install -y libclang-rt-22-dev
fi
flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize=vptr"
flags+=" -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g1"
# One shared sanitizer runtime for the tools and the Python extension (which
# the tests load into /usr/bin/python3 with LD_PRELOAD).
runtime="$(clang++-22 -print-file-name=libclang_rt.asan-x86_64.so)"
ldflags="-fsanitize=address,undefined -shared-libasan"
ldflags+=" -Wl,-rpath,$(dirname "$runtime")"
if [ ! -f build-san/build.ninja ]; then
  cmake -G Ninja -S . -B build-san -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
    -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" \
    -DCMAKE_MODULE_LINKER_FLAGS="$ldflags" \
    -DATTN_ENABLE_PYTHON=ON -DATTN_ENABLE_FUZZER=ON
fi
ninja -C build-san
if [ "${1:-}" != "--no-test" ]; then
  # MLIR's and LLVM's process-lifetime singletons are not freed at exit.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  /usr/lib/llvm-22/bin/lit -sv build-san/test
fi
