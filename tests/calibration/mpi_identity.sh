#!/bin/sh
# MPI identity of commsim calibrate (issue 16): a small calibration run without MPI and under mpirun
# with 2 and 3 ranks (every rank follows the optimiser; rank 0 writes) must write the same calibrated
# scenario and the same calibration file, byte for byte.
# usage: mpi_identity.sh COMMSIM SOURCE_DIR WORKDIR
set -eu
commsim=$1; src=$2; work=$3
rm -rf "$work"; mkdir -p "$work"
export HDF5_USE_FILE_LOCKING=FALSE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
calibrate() {  # run in its own folder, so that the command lines (and file names) are the same
  mkdir -p "$work/$1"; cd "$work/$1"; shift
  "$@" "$commsim" calibrate "$src/tests/data/calibration-city.yaml" --targets "$src/scenarios/targets/xian.yaml" \
    --set run.days=7 --free services.chronic_followup.eligible.programme_share services.medical.community_share \
    --replicates 2 --max-evals 8 --threads 1 -o cal.yaml --quiet
  cd - >/dev/null
}
calibrate serial
for k in 2 3; do
  calibrate "mpi$k" mpirun --allow-run-as-root --oversubscribe -np $k
  cmp "$work/serial/cal.yaml" "$work/mpi$k/cal.yaml" || { echo "FAIL: mpirun -np $k calibrated scenario differs"; exit 1; }
  if ! h5diff "$work/serial/cal.h5" "$work/mpi$k/cal.h5"; then
    echo "FAIL: mpirun -np $k calibration file differs from the serial one"; exit 1
  fi
  echo "ok: mpirun -np $k calibration identical to the serial one"
done
rm -rf "$work"
