#!/usr/bin/env bash
# Runs the same M/M/c queue through `commsim validate-queue` and the SimPy peer (mmc_simpy.py),
# prints both results, whether they agree within their 95 % confidence intervals, and the speed
# ratio in events per second.
#
# usage: bench/peers/compare.sh [L arrivals/hour] [S service minutes] [C servers] [D days] [R replicates]
#        defaults: 10 15 3 365 10 (scenarios/validation/mmc.yaml's queue, a year per replicate)
#
# Events = arrivals + service starts + service completions, counted the same way for both: the
# nominal 3 x L x 24 x D x R (the SimPy peer also counts them as they happen; the two agree to
# within Poisson noise). Speed = events / CPU seconds (user + sys) of the whole process (start-up,
# scenario loading and city build included for commsim; Python start-up excluded for SimPy, which
# favours the peer), because wall time on a shared machine measures the neighbours; wall-clock
# rates are printed too. Env: COMMSIM (default build/commsim), PYTHON (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
L=${1:-10} S=${2:-15} C=${3:-3} D=${4:-365} R=${5:-10}
COMMSIM=${COMMSIM:-build/commsim}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

args=(--arrivals-per-hour "$L" --service-minutes "$S" --servers "$C" --days "$D" --replicates "$R")
/usr/bin/time -f '%e %U %S' -o "$tmp/commsim.time" "$COMMSIM" validate-queue "${args[@]}" --json >"$tmp/commsim.json"
"$PYTHON" bench/peers/mmc_simpy.py "${args[@]}" --json >"$tmp/simpy.json"

"$PYTHON" - "$tmp" "$L" "$D" "$R" <<'PY'
import json, sys
tmp, L, D, R = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = json.loads(open(f"{tmp}/commsim.json").read())
p = json.loads(open(f"{tmp}/simpy.json").read())
wall, user, sys_ = (float(x) for x in open(f"{tmp}/commsim.time").read().split()[-3:])
events = 3.0 * L * 24.0 * D * R
print(f"M/M/{c['servers']}: lambda = {c['arrivals_per_hour']:g}/h, mean service {c['service_minutes']:g} min, "
      f"{D} days x {R} replicates; nominal events = 3 x arrivals = {events:,.0f}")
print(f"{'':16}{'commsim':>22}{'SimPy ' + p['simpy_version']:>22}{'Erlang C':>12}  agree")
ok_all = True
for key, label in (("mean_wait_min", "mean wait min"), ("p_wait", "P(wait > 0)"), ("utilisation", "utilisation")):
    a, ah, b, bh = c[key], c[key + "_ci95"], p[key], p[key + "_ci95"]
    ok = abs(a - b) <= ah + bh
    ok_all = ok_all and ok
    print(f"{label:16}{a:12.4f} ± {ah:7.4f}{b:12.4f} ± {bh:7.4f}{c['erlang_c_' + key]:12.4f}  {'yes' if ok else 'NO'}")
cpu_c = user + sys_
rate_c, rate_p = events / cpu_c, events / p["cpu_seconds"]
print(f"commsim: {cpu_c:.3f} s CPU ({wall:.3f} s wall) -> {rate_c:,.0f} events per CPU second "
      f"({events / wall:,.0f} per wall second)")
print(f"SimPy:   {p['cpu_seconds']:.3f} s CPU ({p['wall_seconds']:.3f} s wall) -> {rate_p:,.0f} events per CPU second "
      f"({events / p['wall_seconds']:,.0f} per wall second; counted events {p['events']:,})")
print(f"speed ratio commsim / SimPy: {rate_c / rate_p:,.0f}x per CPU second, "
      f"{(events / wall) / (events / p['wall_seconds']):,.0f}x per wall second")
print(f"results agree within the 95 % CIs: {'yes' if ok_all else 'NO'}")
print(json.dumps({"commsim_events_per_cpu_s": rate_c, "simpy_events_per_cpu_s": rate_p,
                  "ratio_cpu": rate_c / rate_p, "ratio_wall": p["wall_seconds"] / wall, "agree": ok_all}))
PY
