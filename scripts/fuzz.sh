#!/usr/bin/env bash
# Fuzzes the scenario loader (and the household CSV reader) with libFuzzer + ASan + UBSan for a
# bounded time: scripts/fuzz.sh [SECONDS] (default 300). Not part of CI (see docs/reliability.md).
#
#   build-fuzz/                  clang-14 build, -DCOMMSIM_FUZZ=ON (preset "fuzz")
#   tests/fuzz/corpus/           committed seed corpus (shipped scenarios, tests/data files), kept
#                                minimised: FUZZ_MERGE=1 scripts/fuzz.sh merges new finds into it
#   build-fuzz/fuzz-new/         inputs found in this session (not committed)
#   build-fuzz/artifacts/        crashes, leaks, timeouts, out-of-memory inputs: each is a finding;
#                                turn it into a regression case of the normal suite, then fix it
#
# Environment: JOBS (parallel fuzzing processes via -fork, default 1), FUZZ_MERGE=1 (minimise
# corpus + new finds into the committed corpus after the run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_TO_RUN=${1:-300}
JOBS=${JOBS:-1}
if ! command -v clang++-14 >/dev/null; then
  echo "fuzz.sh: needs clang-14 and libclang-rt-14-dev: scripts/install-deps.sh --fuzz" >&2
  exit 2
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCOMMSIM_FUZZ=ON -DBUILD_TESTING=OFF -DCOMMSIM_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz --target fuzz_scenario_loader -j "${BUILD_JOBS:-2}"
mkdir -p build-fuzz/fuzz-new build-fuzz/artifacts
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fuzzer=$PWD/build-fuzz/tests/fuzz/fuzz_scenario_loader
args=(-dict=tests/fuzz/scenario.dict -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=10
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/)
if [ "$JOBS" -gt 1 ]; then args+=(-fork="$JOBS"); fi
status=0
"$fuzzer" "${args[@]}" build-fuzz/fuzz-new tests/fuzz/corpus 2>&1 | tee build-fuzz/fuzz.log | grep -v "^#" || status=${PIPESTATUS[0]}
if [ "${FUZZ_MERGE:-0}" = 1 ]; then
  # Minimise corpus + new finds into a fresh directory, then make that the committed corpus.
  rm -rf build-fuzz/merged && mkdir build-fuzz/merged
  "$fuzzer" -merge=1 -max_len=8192 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    build-fuzz/merged tests/fuzz/corpus build-fuzz/fuzz-new 2>&1 | tail -2
  rm -rf tests/fuzz/corpus && mv build-fuzz/merged tests/fuzz/corpus
  du -sh tests/fuzz/corpus
fi
echo "fuzz.sh: exit $status; artifacts (findings) in build-fuzz/artifacts/:"
ls build-fuzz/artifacts
exit "$status"
