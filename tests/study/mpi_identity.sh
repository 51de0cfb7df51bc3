#!/bin/sh
# MPI identity (issue 6): the small study run without MPI and under mpirun with 1, 2 and 4 ranks
# (or the rank counts given) must give the same datasets and attributes, except /study/bookkeeping
# (wall times, ranks, hosts); a sensitivity study's /sensitivity indices included (issue 17).
# usage: mpi_identity.sh COMMSIM STUDY.yaml WORKDIR [RANKS, e.g. "2 3"]
set -eu
commsim=$1; study=$2; work=$3; ranks_list=${4:-"1 2 4"}
rm -rf "$work"; mkdir -p "$work"
export HDF5_USE_FILE_LOCKING=FALSE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$commsim" study "$study" -o "$work/serial.h5" --threads 1 --quiet
for k in $ranks_list; do
  mpirun --allow-run-as-root --oversubscribe -np $k "$commsim" study "$study" -o "$work/mpi$k.h5" --quiet
  if ! h5diff --exclude-path /study/bookkeeping "$work/serial.h5" "$work/mpi$k.h5"; then
    echo "FAIL: mpirun -np $k output differs from the serial output"; exit 1
  fi
  ranks=$(h5dump -a /study/bookkeeping/ranks "$work/mpi$k.h5" | grep -o '(0): [0-9]*' | cut -d' ' -f2)
  [ "$ranks" = "$k" ] || { echo "FAIL: expected $k ranks recorded, found '$ranks'"; exit 1; }
  echo "ok: mpirun -np $k identical to the serial run"
done
rm -rf "$work"
