#!/bin/sh
# Issue 22: a run's replicates share its prepared inputs, so a 3-replicate run opens the census
# table exactly once (strace -f -e trace=openat; strace is in scripts/install-deps.sh). LeakSanitizer
# cannot run under ptrace: leak checks are off for the traced run (the sanitizer pass).
# usage: read_once.sh COMMSIM SOURCE_DIR WORK_DIR
set -eu
commsim=$1; src=$2; work=$3
rm -rf "$work"; mkdir -p "$work"
command -v strace >/dev/null || { echo "read_once: strace is not installed (scripts/install-deps.sh)"; exit 1; }
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -e trace=openat -o "$work/trace.txt" "$commsim" run "$src/scenarios/xian-baseline.yaml" \
  --set run.replicates=3 --set run.days=7 --set city.generator.communities=13 --set run.daily_output=false \
  --quiet
opened=$(grep -c 'census-county-2020\.csv' "$work/trace.txt" || true)
failed=$(grep 'census-county-2020\.csv' "$work/trace.txt" | grep -c ' = -1 ' || true)
echo "read_once: census-county-2020.csv opened $opened time(s) ($failed failed) by a 3-replicate run"
[ "$opened" -eq 1 ] && [ "$failed" -eq 0 ]
