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
# Environment: JOBS (parallel fuzzing processes, default 1), FUZZ_MERGE=1 (minimise the new finds
# into the committed corpus after the run).
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
status=0
./build-fuzz/tests/fuzz/fuzz_scenario_loader build-fuzz/fuzz-new tests/fuzz/corpus \
  -dict=tests/fuzz/scenario.dict -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
  -jobs="$JOBS" -workers="$JOBS" -artifact_prefix=build-fuzz/artifacts/ 2>&1 | tee build-fuzz/fuzz.log || status=$?
if [ "${FUZZ_MERGE:-0}" = 1 ]; then
  ./build-fuzz/tests/fuzz/fuzz_scenario_loader -merge=1 -max_len=8192 tests/fuzz/corpus build-fuzz/fuzz-new
fi
grep -h "stat::number_of_executed_units\|stat::peak_rss_mb" build-fuzz/fuzz.log fuzz-*.log 2>/dev/null || true
ls build-fuzz/artifacts
exit "$status"
