#!/bin/sh
# One run over MPI ranks (issue 27): `commsim run` in one process, under mpirun with 1, 2 and 3
# ranks, and in batches of one community, writes files whose every group (everything but the root
# group's attributes: provenance, timing, process and thread counts) is identical.
# usage: run_mpi_identity.sh COMMSIM SCENARIO WORKDIR
set -eu
commsim=$1; scenario=$2; work=$3
rm -rf "$work"; mkdir -p "$work"
export HDF5_USE_FILE_LOCKING=FALSE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
sets="--set run.days=14 --set run.replicates=2"
"$commsim" run "$scenario" $sets --set run.batch_residents=0 -o "$work/serial.h5" --threads 2 --quiet
"$commsim" run "$scenario" $sets --set run.batch_residents=1 -o "$work/batches.h5" --threads 1 --quiet
same() {  # every top-level object of the two files, compared with its attributes
  for g in $(h5ls "$work/serial.h5" | awk '{print $1}'); do
    h5diff "$work/serial.h5" "$work/$1" "/$g" "/$g" || { echo "FAIL: /$g of $1 differs from the one-process file"; exit 1; }
  done
}
same batches.h5
echo "ok: batches of one community identical to the whole city at once"
for k in 1 2 3; do
  mpirun --allow-run-as-root --oversubscribe -np $k "$commsim" run "$scenario" $sets -o "$work/mpi$k.h5" --quiet
  same "mpi$k.h5"
  echo "ok: mpirun -np $k identical to one process"
done
n=$(ls "$work" | grep -c '\.h5$')
[ "$n" -eq 5 ] || { echo "FAIL: expected 5 output files, found $n (a rank other than 0 wrote one?)"; ls "$work"; exit 1; }
rm -rf "$work"
