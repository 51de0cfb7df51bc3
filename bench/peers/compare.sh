#!/usr/bin/env bash
# Runs the same M/M/c queue through `commsim validate-queue` and the SimPy peer (mmc_simpy.py),
# prints both results, whether they agree within their 95 % confidence intervals, and the speed
# ratio in events per second.
#
# usage: bench/peers/compare.sh [L arrivals/hour] [S service minutes] [C servers] [D days] [R replicates]
#        defaults: 10 15 3 365 10 (scenarios/validation/mmc.yaml's queue, a year per replicate)
#        env: COMMSIM (default build/commsim), PYTHON (default /usr/bin/python3),
#             ROUNDS (default 3: SimPy runs; commsim runs 5 times a round, interleaved)
#
# Events = arrivals + service starts + service completions, counted the same way for both: the
# nominal 3 x L x 24 x D x R (the SimPy peer also counts them as they happen; the two agree to
# within Poisson noise). This machine is shared and its speed drifts by tens of percent within
# minutes, so runs are interleaved and each figure is a median over rounds. Three ratios:
#   in-process CPU  - CPU seconds of the simulation in each process (commsim: from the command's
#                     start, scenario loading and city building included; SimPy: its replicate
#                     loop), one thread: the like-for-like figure;
#   whole-process CPU - user + sys of the whole commsim process (start-up and dynamic loading of
#                     its ~40 shared libraries included) against SimPy's in-process CPU (Python's
#                     start-up excluded, which favours the peer);
#   wall            - in-process wall seconds, commsim's replicates in parallel on all cores
#                     (--threads 0), SimPy on its one thread.
set -euo pipefail
cd "$(dirname "$0")/../.."
L=${1:-10} S=${2:-15} C=${3:-3} D=${4:-365} R=${5:-10}
COMMSIM=${COMMSIM:-build/commsim}
PYTHON=${PYTHON:-/usr/bin/python3}
ROUNDS=${ROUNDS:-3}
exec "$PYTHON" - "$COMMSIM" "$L" "$S" "$C" "$D" "$R" "$ROUNDS" <<'PY'
import json, os, statistics, subprocess, sys
commsim, L, S, C, D, R, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
args = ["--arrivals-per-hour", L, "--service-minutes", S, "--servers", C, "--days", str(D), "--replicates", str(R)]

def run(cmd):
    """Runs cmd, returns (parsed JSON stdout, user + sys CPU seconds of the whole process)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"compare.sh: {' '.join(cmd)} failed (status {status})")
    return json.loads(out), usage.ru_utime + usage.ru_stime

serial, parallel, peer = [], [], []
for _ in range(rounds):
    for _ in range(5):
        serial.append(run([commsim, "validate-queue", *args, "--threads", "1", "--json"]))
        parallel.append(run([commsim, "validate-queue", *args, "--threads", "0", "--json"]))
    peer.append(run([sys.executable, "bench/peers/mmc_simpy.py", *args, "--json"]))

c, p = serial[0][0], peer[0][0]
for other in [x[0] for x in serial + parallel]:  # every commsim run gives the same numbers
    for key in ("mean_wait_min", "p_wait", "utilisation"):
        assert other[key] == c[key], f"commsim results differ between runs or thread counts ({key})"
events = 3.0 * float(L) * 24.0 * D * R
med = statistics.median
c_cpu_in = med(x[0]["cpu_seconds"] for x in serial)
c_cpu_whole = med(x[1] for x in serial)
c_wall = med(x[0]["wall_seconds"] for x in parallel)
p_cpu = med(x[0]["cpu_seconds"] for x in peer)
p_wall = med(x[0]["wall_seconds"] for x in peer)

print(f"M/M/{c['servers']}: lambda = {c['arrivals_per_hour']:g}/h, mean service {c['service_minutes']:g} min, "
      f"{D} days x {R} replicates; nominal events = 3 x arrivals = {events:,.0f}")
print(f"{'':16}{'commsim':>22}{'SimPy ' + p['simpy_version']:>22}{'Erlang C':>12}  agree")
ok_all = True
for key, label in (("mean_wait_min", "mean wait min"), ("p_wait", "P(wait > 0)"), ("utilisation", "utilisation")):
    a, ah, b, bh = c[key], c[key + "_ci95"], p[key], p[key + "_ci95"]
    ok = abs(a - b) <= ah + bh
    ok_all = ok_all and ok
    print(f"{label:16}{a:12.4f} ± {ah:7.4f}{b:12.4f} ± {bh:7.4f}{c['erlang_c_' + key]:12.4f}  {'yes' if ok else 'NO'}")
print(f"medians over {rounds} rounds ({len(serial)} commsim runs each way, {len(peer)} SimPy runs; SimPy {min(x[0]['cpu_seconds'] for x in peer):.2f}-{max(x[0]['cpu_seconds'] for x in peer):.2f} s CPU):")
rows = (("in-process CPU, 1 thread", c_cpu_in, p_cpu), ("whole-process CPU, 1 thread", c_cpu_whole, p_cpu),
        (f"in-process wall, commsim on {os.cpu_count()} cores", c_wall, p_wall))
print(f"  {'':42}{'commsim s':>10}{'SimPy s':>10}{'commsim ev/s':>15}{'SimPy ev/s':>13}{'ratio':>8}")
for label, a, b in rows:
    print(f"  {label:42}{a:10.3f}{b:10.3f}{events / a:15,.0f}{events / b:13,.0f}{b / a:7.0f}x")
print(f"results agree within the 95 % CIs: {'yes' if ok_all else 'NO'}")
print(json.dumps({"events": events, "commsim_cpu_s_in_process": c_cpu_in, "commsim_cpu_s_whole_process": c_cpu_whole,
                  "commsim_wall_s_parallel": c_wall, "simpy_cpu_s": p_cpu, "simpy_wall_s": p_wall,
                  "ratio_cpu_in_process": p_cpu / c_cpu_in, "ratio_cpu_whole_process": p_cpu / c_cpu_whole,
                  "ratio_wall": p_wall / c_wall, "agree": ok_all}))
PY
