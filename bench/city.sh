#!/usr/bin/env bash
# Whole-city throughput: generates a city of about RESIDENTS residents from the Xi'an baseline,
# runs `commsim run` for DAYS days under /usr/bin/time -v and prints residents, communities, days,
# wall seconds, resident-days and requests per second, ns per request and per resident-day, peak
# memory, threads and the ratio of wall time to the dense-sweep floor, with one decimal (one 16-byte
# pass over every resident per day at the bandwidth measured by commsim_bench's BM_DenseSweep).
# Ends with one JSON line. COMMSIM_PHASE_TIMES=1 in the environment adds the engine's phase times
# (stderr, sim/engine/engine.cpp).
#
# usage: bench/city.sh RESIDENTS DAYS [THREADS]
#   RESIDENTS   target residents; communities = round(RESIDENTS / 8500) (the baseline's ~2.6
#               residents per household x 3,300 median households); the actual count is printed
#   THREADS     worker threads (default: all cores)
# env: COMMSIM (build/commsim), BENCH (build/bench/commsim_bench), SCENARIO
#      (scenarios/xian-baseline.yaml), DAILY_OUTPUT (true|false; default: the scenario's, true),
#      FLOOR_BYTES_PER_S (skip the sweep benchmark and use this bandwidth), EXTRA ("--set k=v ..."),
#      PYTHON (/usr/bin/python3), TIME_BIN (/usr/bin/time, GNU time for -v)
set -euo pipefail
if [ $# -lt 2 ]; then sed -n '2,15p' "$0"; exit 2; fi
cd "$(dirname "$0")/.."
RESIDENTS=$1 DAYS=$2 THREADS=${3:-0}
COMMSIM=${COMMSIM:-build/commsim}
BENCH=${BENCH:-build/bench/commsim_bench}
SCENARIO=${SCENARIO:-scenarios/xian-baseline.yaml}
PYTHON=${PYTHON:-/usr/bin/python3}
TIME_BIN=${TIME_BIN:-/usr/bin/time}
COMMUNITIES=$(( (RESIDENTS + 4250) / 8500 ))
[ "$COMMUNITIES" -ge 1 ] || COMMUNITIES=1
NCORES=$(nproc)
EFFECTIVE_THREADS=$THREADS
[ "$EFFECTIVE_THREADS" -gt 0 ] || EFFECTIVE_THREADS=$NCORES

sets=(--set "city.generator.communities=$COMMUNITIES" --set "run.days=$DAYS")
[ -n "${DAILY_OUTPUT:-}" ] && sets+=(--set "run.daily_output=$DAILY_OUTPUT")
# shellcheck disable=SC2206
[ -n "${EXTRA:-}" ] && sets+=($EXTRA)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The floor: bytes per CPU second of the one-thread dense sweep, times the run's threads (perfect
# scaling: an optimistic, i.e. low, floor).
if [ -z "${FLOOR_BYTES_PER_S:-}" ]; then
  "$BENCH" --benchmark_filter="BM_DenseSweep/threads:1\$" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true --benchmark_format=json >"$tmp/sweep.json" 2>/dev/null
  FLOOR_BYTES_PER_S=$("$PYTHON" -c '
import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"]
print(next(x["bytes_per_second"] for x in b if x.get("aggregate_name") == "median"))' "$tmp/sweep.json")
fi

"$TIME_BIN" -v -o "$tmp/time.txt" "$COMMSIM" run "$SCENARIO" "${sets[@]}" --threads "$THREADS" --quiet \
  --summary-json "$tmp/summary.json"

"$PYTHON" - "$tmp" "$DAYS" "$EFFECTIVE_THREADS" "$FLOOR_BYTES_PER_S" "$COMMUNITIES" "${DAILY_OUTPUT:-default}" <<'PY'
import json, re, sys
tmp, days, threads, floor_bps, communities_asked, daily = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
s = json.load(open(f"{tmp}/summary.json"))
t = open(f"{tmp}/time.txt").read()
def field(name):
    return re.search(re.escape(name) + r":\s*(\S+)", t).group(1)
wall_text = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
wall = 0.0
for part in wall_text.split(":"):
    wall = wall * 60 + float(part)
wall = max(wall, 0.01)  # GNU time reports hundredths
rss_mb = int(field("Maximum resident set size (kbytes)")) / 1024.0
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
residents, communities, requests = int(s["residents"]), int(s["communities"]), int(s["requests"])
floor_s = 16.0 * residents * days / (floor_bps * threads)
print(f"residents            {residents:,}")
print(f"communities          {communities:,} (asked {communities_asked:,})")
print(f"households           {int(s['households']):,}")
print(f"simulated days       {days}")
print(f"daily output         {daily}")
print(f"threads              {threads}")
print(f"wall seconds         {wall:.2f}  (CPU {cpu:.2f} s, {cpu / wall:.2f} cores busy)")
print(f"resident-days / s    {residents * days / wall:,.0f}")
print(f"requests             {requests:,}")
print(f"requests / s         {requests / wall:,.0f}")
print(f"peak RSS             {rss_mb:,.0f} MiB  ({rss_mb * 1048576 / residents:.1f} bytes per resident)")
print(f"dense-sweep floor    {floor_s:.3f} s  (16 B x residents x days at {floor_bps / 1e9:.2f} GB/s per thread x {threads})")
print(f"ns per request       {wall * 1e9 / max(1, requests):,.1f}  (CPU {cpu * 1e9 / max(1, requests):,.1f})")
print(f"ns per resident-day  {wall * 1e9 / (residents * days):,.2f}  (CPU {cpu * 1e9 / (residents * days):,.2f})")
print(f"wall / floor         {wall / floor_s:.1f}x")
# On a shared machine the run gets fewer cores than it asked for, the floor (CPU-time bandwidth)
# does not: CPU / (floor x threads) is the ratio the run would have with its cores to itself.
print(f"CPU / (floor x thr)  {cpu / (floor_s * threads):.1f}x  (the ratio at {threads} free cores)")
print(json.dumps({"residents": residents, "communities": communities, "days": days, "requests": requests,
                  "wall_s": round(wall, 3), "peak_rss_mb": round(rss_mb, 1), "threads": threads,
                  "cpu_s": round(cpu, 3), "floor_s": round(floor_s, 3), "wall_over_floor": round(wall / floor_s, 1),
                  "cpu_over_floor_threads": round(cpu / (floor_s * threads), 1)}))
PY
