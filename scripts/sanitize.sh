#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs it after
# scripts/test.sh; preset "asan"). Builds into build-asan (-O1, line tables, assertions on) and
# runs ctest there; the commsim binary the CLI tests start is instrumented too. Any report aborts.
# Test cases tagged [slow] and the Python analysis tests (ctest label slow-under-sanitizers) are
# skipped: the release suite runs them. TSan: SANITIZER=thread scripts/sanitize.sh (build-tsan, tests/tsan.supp; not run in CI,
# see docs/reliability.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SANITIZER=${SANITIZER:-address}
JOBS=${JOBS:-$(nproc)}
dir=build-asan
[ "$SANITIZER" = thread ] && dir=build-tsan
start=$(date +%s)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCOMMSIM_SANITIZE="$SANITIZER" -DCOMMSIM_BUILD_BENCH=OFF -DCOMMSIM_UNITY_BUILD=ON >/dev/null
cmake --build "$dir" -j "$JOBS"
export HDF5_USE_FILE_LOCKING=FALSE
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
ctest --test-dir "$dir" -j "$JOBS" --output-on-failure -LE slow-under-sanitizers
echo "sanitize.sh: $SANITIZER build and tests passed in $(( $(date +%s) - start )) s"
