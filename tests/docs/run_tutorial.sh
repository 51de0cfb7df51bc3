#!/usr/bin/env bash
# Runs every command of docs/tutorial.md (the lines of its ```sh blocks), in order, in a scratch
# copy of the repository's layout whose build/commsim is the program under test. Fails on the
# first command that fails, naming it.
# Usage: tests/docs/run_tutorial.sh SOURCE_DIR COMMSIM_BINARY WORK_DIR
set -euo pipefail
src="$1"; bin="$2"; work="$3"
rm -rf "$work"
mkdir -p "$work/build"
for d in scenarios analysis docs tests; do ln -s "$src/$d" "$work/$d"; done
ln -s "$bin" "$work/build/commsim"
export HDF5_USE_FILE_LOCKING=FALSE MPLBACKEND=Agg
cd "$work"
commands=$(awk '/^```sh$/{inside=1; next} /^```$/{inside=0} inside && NF' "$src/docs/tutorial.md")
count=$(printf '%s\n' "$commands" | grep -c .)
[ "$count" -ge 10 ] || { echo "tutorial: expected at least 10 commands, found $count"; exit 1; }
n=0
while IFS= read -r cmd; do
  n=$((n + 1))
  echo "[$n/$count] $cmd"
  if ! bash -c "$cmd" > "cmd-$n.log" 2>&1; then
    echo "tutorial command $n failed: $cmd"; tail -20 "cmd-$n.log"; exit 1
  fi
done <<< "$commands"
# The outputs the tutorial promises exist.
for f in out/tutorial/baseline.h5 out/tutorial/study.h5 out/tutorial/report/index.html out/tutorial/runs.csv \
         out/tutorial/communities.csv; do
  [ -s "$f" ] || { echo "tutorial: missing $f"; exit 1; }
done
grep -q "reproduced" cmd-*.log || { echo "tutorial: replay did not report 'reproduced'"; exit 1; }
echo "tutorial: all $count commands ran"
