#!/usr/bin/env bash
# Builds commsim and runs the shipped baseline scenario end to end: prints the summary table,
# writes out/baseline.h5 and out/baseline-summary.json, and renders the report into out/report/.
# Usage: scripts/run-baseline.sh [extra commsim run options, e.g. --set run.days=90]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/install-deps.sh
export HDF5_USE_FILE_LOCKING=FALSE
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOMMSIM_WITH_MPI=ON > /dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target commsim
mkdir -p out
./build/commsim run scenarios/xian-baseline.yaml -o out/baseline.h5 --force \
  --summary-json out/baseline-summary.json "$@"
if [ -f analysis/report.py ]; then
  /usr/bin/python3 analysis/report.py out/baseline.h5 -o out/report
  echo "report: out/report/index.html"
fi
