#!/bin/sh
# Issue 22: `commsim validate` measures N3.5 against the norm's own figure (18 per 10,000), not the
# scenario's rule. At 14 per 10,000 at most half of the census city's communities comply; the
# baseline (staffed at the norm) complies everywhere, as before. The summary line keeps its form
# `N3.5 <label> COMPLIANT/TOTAL` (the counts last).
# usage: validate_n35.sh COMMSIM SOURCE_DIR
set -eu
commsim=$1; src=$2
n35() { "$commsim" validate "$src/scenarios/$1" | grep -E '^  N3\.5 ' | awk '{print $NF}'; }
low=$(n35 staffing-14-per-10k.yaml); base=$(n35 xian-baseline.yaml)
echo "validate_n35: staffing-14-per-10k $low, xian-baseline $base"
echo "$low" | grep -Eq '^[0-9]+/[0-9]+$' && echo "$base" | grep -Eq '^[0-9]+/[0-9]+$'
ok=${low%/*}; total=${low#*/}
[ $((2 * ok)) -le "$total" ]
[ "${base%/*}" -eq "${base#*/}" ] && [ "${base#*/}" -eq "$total" ]
