#!/bin/sh
# commsim pareto (issue 28, docs/planning.md) under MPI: each generation's new points are shared
# out among the ranks and every rank takes the same search path, so mpirun -np 2 gives the serial
# front (JSON on stdout and the -o file), and only rank 0 prints and writes; a search killed under
# mpirun and continued with --resume gives the same file.
# usage: pareto_mpi_identity.sh COMMSIM SCENARIO WORKDIR
set -eu
commsim=$1; scenario=$2; work=$3
rm -rf "$work"; mkdir -p "$work/serial" "$work/mpi2"
export HDF5_USE_FILE_LOCKING=FALSE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
set -- pareto "$scenario" --lever staffing.rules.community_worker.per_10k=8:30 \
  --objectives cost_total_yuan,unmet_hours --population 8 --generations 1 \
  --set city.generator.communities=3 --set run.days=14 --threads 1 --json
# The same -o text in both (the file records its command line).
(cd "$work/serial" && "$commsim" "$@" -o front.h5 >front.json)
(cd "$work/mpi2" && mpirun --allow-run-as-root --oversubscribe -np 2 "$commsim" "$@" -o front.h5 >front.json)
if ! cmp "$work/serial/front.json" "$work/mpi2/front.json"; then
  echo "FAIL: pareto --json under mpirun -np 2 differs from the serial front"; exit 1
fi
if ! h5diff "$work/serial/front.h5" "$work/mpi2/front.h5"; then
  echo "FAIL: pareto -o under mpirun -np 2 differs from the serial file"; exit 1
fi
# Resumed under mpirun: killed after the first population, continued with --resume: the same file.
mkdir -p "$work/resumed"
if (cd "$work/resumed" && COMMSIM_STUDY_ABORT_AFTER=1 mpirun --allow-run-as-root --oversubscribe -x COMMSIM_STUDY_ABORT_AFTER \
      -np 2 "$commsim" "$@" -o front.h5 >/dev/null 2>&1); then
  echo "FAIL: the search was not killed"; exit 1
fi
[ -f "$work/resumed/front.h5.evaluations" ] || { echo "FAIL: no evaluations file after the kill"; exit 1; }
(cd "$work/resumed" && mpirun --allow-run-as-root --oversubscribe -np 2 "$commsim" "$@" -o front.h5 --resume >/dev/null)
if ! h5diff "$work/serial/front.h5" "$work/resumed/front.h5"; then
  echo "FAIL: pareto --resume under mpirun -np 2 differs from the uninterrupted serial file"; exit 1
fi
/usr/bin/python3 - "$work/serial/front.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc["front"]) >= 2, doc
PY
echo "ok: pareto under mpirun -np 2 (and killed, then resumed) identical to the serial front, one JSON document"
rm -rf "$work"
