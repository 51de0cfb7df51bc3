#!/bin/sh
# commsim curve and commsim headroom (issue 14, docs/curves.md) and commsim run --uncertainty
# (issue 17, docs/sensitivity.md; on the calibration city, inside the registry's ranges) and
# commsim findings (issue 25, docs/findings.md; the same city) under MPI
# and after a crash: the
# serial file, the files of mpirun -np 2 and -np 3, and a file interrupted after two runs and
# resumed must hold the same datasets and attributes, except /study/bookkeeping. Headroom adds its
# variants round by round, so this also checks that the workers learn them and that a resumed
# search takes the same path.
# usage: curve_mpi_identity.sh COMMSIM SCENARIO WORKDIR
set -eu
commsim=$1; scenario=$2; work=$3
rm -rf "$work"; mkdir -p "$work"
export HDF5_USE_FILE_LOCKING=FALSE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tiny="--set city.generator.communities=3 --set run.days=14 --set run.daily_output=false --quiet"
for command in curve headroom uncertainty findings; do
  if [ "$command" = uncertainty ]; then
    set -- run "$(dirname "$scenario")/../calibration-city.yaml" --uncertainty 3
  elif [ "$command" = findings ]; then
    set -- findings "$(dirname "$scenario")/../calibration-city.yaml" --uncertainty 2
  elif [ "$command" = curve ]; then
    set -- curve "$scenario" --key staffing.rules.community_worker.per_10k --from 6 --to 18 --step 6 --replicates 2
  else
    set -- headroom "$scenario" --target 0.8 --tolerance 0.1
  fi
  # shellcheck disable=SC2086
  "$commsim" "$@" $tiny -o "$work/$command-serial.h5" --threads 1
  for k in 2 3; do
    # shellcheck disable=SC2086
    mpirun --allow-run-as-root --oversubscribe -np $k "$commsim" "$@" $tiny -o "$work/$command-mpi$k.h5" --threads 1
    if ! h5diff --exclude-path /study/bookkeeping "$work/$command-serial.h5" "$work/$command-mpi$k.h5"; then
      echo "FAIL: $command under mpirun -np $k differs from the serial output"; exit 1
    fi
    echo "ok: $command under mpirun -np $k identical to the serial run"
  done
  status=0
  # shellcheck disable=SC2086
  COMMSIM_STUDY_ABORT_AFTER=2 "$commsim" "$@" $tiny -o "$work/$command-resumed.h5" --threads 1 || status=$?
  [ "$status" = 99 ] || { echo "FAIL: $command did not stop after two runs (exit $status)"; exit 1; }
  # shellcheck disable=SC2086
  "$commsim" "$@" $tiny -o "$work/$command-resumed.h5" --threads 1 --resume
  if ! h5diff --exclude-path /study/bookkeeping "$work/$command-serial.h5" "$work/$command-resumed.h5"; then
    echo "FAIL: $command interrupted and resumed differs from the uninterrupted output"; exit 1
  fi
  echo "ok: $command interrupted after two runs and resumed identical to the uninterrupted run"
done
# findings --json: stdout holds only the JSON document, with every finding's interval and drivers.
# shellcheck disable=SC2086
"$commsim" findings "$(dirname "$scenario")/../calibration-city.yaml" --uncertainty 3 $tiny --threads 1 --json >"$work/findings.json"
/usr/bin/python3 - "$work/findings.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
names = [f["name"] for f in doc["findings"]]
for name in ("efficient_community_workers_per_10k", "unmet_hours_avoided_14_to_18", "best_community_size_households"):
    assert name in names, (name, names)
for f in doc["findings"]:
    assert set(f) >= {"name", "unit", "median", "p5", "p95", "drivers"}, f
    for d in f["drivers"]:
        assert set(d) >= {"parameter", "share"}, d
print("ok: findings --json prints one JSON document with the findings")
PY
rm -rf "$work"
