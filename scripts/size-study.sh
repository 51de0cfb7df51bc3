#!/usr/bin/env bash
# Community size, answered (issue 23; docs/sizing.md): runs a size study (default
# scenarios/studies/size.yaml: the whole city at 1,000-8,000 family households per community, same
# residents, paired seeds) and prints, per variant and service, coverage, unmet hours and the
# working-minute wait, each the mean over replicates with the paired difference to the base, and
# the city's cost per resident.
#
#   scripts/size-study.sh [STUDY.yaml] [OUT.h5] [-- extra commsim study options, e.g. --set ...]
#   scripts/size-study.sh scenarios/studies/size.yaml out/size.h5 -- --set city.generator.communities=60
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:-scenarios/studies/size.yaml}
out=${2:-out/size/size.h5}
shift $(( $# < 2 ? $# : 2 ))
[[ ${1:-} == -- ]] && shift
mkdir -p "$(dirname "$out")"
export HDF5_USE_FILE_LOCKING=FALSE
start=$(date +%s)
./build/commsim study "$study" -o "$out" --force --quiet "$@"
echo "study: $(( $(date +%s) - start )) s -> $out"
/usr/bin/python3 - "$out" <<'PY'
import sys
import h5py
import numpy as np

f = h5py.File(sys.argv[1], "r")
st = f["study"]
variant, replicate = st["variant"][...], st["replicate"][...]
names = [n.decode() if isinstance(n, bytes) else n for n in st["variants"]["name"][...]]
runs = sorted(f["runs"].keys())
def per_run(get):
    return np.array([get(f["runs"][r]) for r in runs], dtype=float)
services = [s.decode() for s in f["runs"][runs[0]]["citywide/services/name"][...]]
cols = {"coverage": "coverage", "unmet h": "unmet_hours", "wait wm": "mean_wait_working_min"}
base = 0
nrep = int(replicate.max()) + 1
def paired(x):  # mean per variant, and the paired difference to the base (mean, 95 % half width)
    out = []
    for v in range(len(names)):
        a, b = x[variant == v], x[variant == base]
        d = a - b
        hw = 1.96 * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
        out.append((a.mean(), d.mean(), hw))
    return out
w = max(len(n) for n in names) + 2
cost = paired(per_run(lambda g: g.attrs["cost_per_resident_yuan"]))
print(f"\n{'variant':{w}s} cost/resident (diff to {names[base]})")
for v, (m, d, hw) in enumerate(cost):
    print(f"{names[v]:{w}s} {m:10.1f}  {d:+9.1f} ± {hw:.1f}")
for s_i, s in enumerate(services):
    print(f"\n{s}")
    print(f"{'variant':{w}s}" + "".join(f"{c:>26s}" for c in cols))
    stats = {c: paired(per_run(lambda g, k=k: g["citywide/services/" + k][s_i])) for c, k in cols.items()}
    for v in range(len(names)):
        row = "".join(f"{stats[c][v][0]:11.4g} {stats[c][v][1]:+8.3g}±{stats[c][v][2]:<5.2g}" for c in cols)
        print(f"{names[v]:{w}s}{row}")
PY
