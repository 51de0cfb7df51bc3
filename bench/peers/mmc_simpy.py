#!/usr/bin/python3
"""Reference M/M/c queue in SimPy: the peer of `commsim validate-queue`.

Same model as scenarios/validation/mmc.yaml run by `commsim validate-queue`: Poisson arrivals at
L per hour, exponential service of mean S minutes, C identical servers open 24 hours, FIFO, no
deadline, the queue starts empty at time 0 and runs D days; each of R replicates is an independent
run. Per replicate: mean wait of the requests served within the D days, P(wait > 0) among them,
and utilisation (service minutes started within the window / (C x window)). Printed: the mean over
replicates with a 95 % Student-t half-width (as commsim's mean_ci), the Erlang-C values, and the
speed in events per second (wall and CPU: the CPU figure is robust on a shared machine), where events = arrivals + service starts + service completions
(counted as they happen; the same definition bench/peers/compare.sh uses for commsim).

Usage: mmc_simpy.py --arrivals-per-hour L --service-minutes S --servers C --days D --replicates R
                    [--seed X] [--json]
Needs python3-simpy (Debian: apt-get install python3-simpy; scripts/install-deps.sh installs it).
"""
import argparse
import json
import math
import random
import statistics
import sys
import time

try:  # SimPy 3/4 (pip) ...
    import simpy
    SIMPY_VERSION = simpy.__version__
    SIMPY2 = False
except ImportError:  # ... or SimPy 2 (Debian bookworm's python3-simpy is 2.3.1)
    import SimPy
    from SimPy.Simulation import Process, Resource, Simulation, hold, release, request
    SIMPY_VERSION = SimPy.__version__
    SIMPY2 = True

T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
       2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
       2.045, 2.042]


def mean_ci(values):
    n = len(values)
    m = statistics.fmean(values)
    if n < 2:
        return m, 0.0
    t = T95[n - 2] if n - 1 <= 30 else 1.95996 + (1.95996 ** 3 + 1.95996) / (4.0 * (n - 1))
    return m, t * statistics.stdev(values) / math.sqrt(n)


def erlang_c(lambda_per_hour, service_minutes, c):
    a = lambda_per_hour / 60.0 * service_minutes
    rho = a / c
    if rho >= 1.0:
        return float("nan"), float("nan"), rho
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    p_wait = b / (1.0 - rho * (1.0 - b))
    return p_wait * service_minutes / (c - a), p_wait, rho


def new_stats():
    return {"arrivals": 0, "starts": 0, "completions": 0, "served": 0, "waited": 0, "wait_sum": 0.0, "busy": 0.0}


def record_start(stats, now, arrived, duration, horizon_min):
    stats["starts"] += 1
    if now < horizon_min:  # served within the window (as commsim counts served)
        wait = now - arrived
        stats["served"] += 1
        stats["wait_sum"] += wait
        stats["waited"] += wait > 0
        stats["busy"] += duration


def replicate_simpy3(lambda_per_min, service_minutes, servers, horizon_min, seed):
    rng = random.Random(seed)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=servers)
    stats = new_stats()

    def customer(env, duration):
        arrived = env.now
        with pool.request() as req:
            yield req
            record_start(stats, env.now, arrived, duration, horizon_min)
            yield env.timeout(duration)
            stats["completions"] += 1

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(lambda_per_min))
            if env.now >= horizon_min:
                return
            stats["arrivals"] += 1
            env.process(customer(env, rng.expovariate(1.0 / service_minutes)))

    env.process(source(env))
    env.run(until=horizon_min)
    return stats


def replicate_simpy2(lambda_per_min, service_minutes, servers, horizon_min, seed):
    rng = random.Random(seed)
    sim = Simulation()
    sim.initialize()
    pool = Resource(capacity=servers, sim=sim)
    stats = new_stats()

    class Customer(Process):
        def visit(self, duration):
            arrived = self.sim.now()
            yield request, self, pool
            record_start(stats, self.sim.now(), arrived, duration, horizon_min)
            yield hold, self, duration
            yield release, self, pool
            stats["completions"] += 1

    class Source(Process):
        def generate(self):
            while True:
                yield hold, self, rng.expovariate(lambda_per_min)
                if self.sim.now() >= horizon_min:
                    return
                stats["arrivals"] += 1
                c = Customer(sim=self.sim)
                self.sim.activate(c, c.visit(rng.expovariate(1.0 / service_minutes)))

    src = Source(sim=sim)
    sim.activate(src, src.generate())
    sim.simulate(until=horizon_min)
    return stats


replicate = replicate_simpy2 if SIMPY2 else replicate_simpy3


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arrivals-per-hour", type=float, required=True)
    p.add_argument("--service-minutes", type=float, required=True)
    p.add_argument("--servers", type=int, required=True)
    p.add_argument("--days", type=int, default=100)
    p.add_argument("--replicates", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    horizon = a.days * 1440.0
    waits, p_waits, utils = [], [], []
    events = arrivals = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for r in range(a.replicates):
        s = replicate(a.arrivals_per_hour / 60.0, a.service_minutes, a.servers, horizon, a.seed * 1000003 + r)
        served = max(1, s["served"])
        waits.append(s["wait_sum"] / served)
        p_waits.append(s["waited"] / served)
        utils.append(min(1.0, s["busy"] / (a.servers * horizon)))
        events += s["arrivals"] + s["starts"] + s["completions"]
        arrivals += s["arrivals"]
    sim_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    w, w_ci = mean_ci(waits)
    pw, pw_ci = mean_ci(p_waits)
    u, u_ci = mean_ci(utils)
    ec_w, ec_p, ec_u = erlang_c(a.arrivals_per_hour, a.service_minutes, a.servers)
    out = {"peer": "simpy", "simpy_version": SIMPY_VERSION, "arrivals_per_hour": a.arrivals_per_hour,
           "service_minutes": a.service_minutes, "servers": a.servers, "days": a.days, "replicates": a.replicates,
           "mean_wait_min": w, "mean_wait_min_ci95": w_ci, "p_wait": pw, "p_wait_ci95": pw_ci,
           "utilisation": u, "utilisation_ci95": u_ci, "erlang_c_mean_wait_min": ec_w, "erlang_c_p_wait": ec_p,
           "erlang_c_utilisation": ec_u, "arrivals": arrivals, "events": events, "wall_seconds": sim_s,
           "cpu_seconds": cpu_s, "events_per_wall_second": events / sim_s if sim_s > 0 else float("nan"),
           "events_per_cpu_second": events / cpu_s if cpu_s > 0 else float("nan")}
    if a.json:
        print(json.dumps(out))
        return 0
    print(f"SimPy {SIMPY_VERSION} M/M/{a.servers}: lambda = {a.arrivals_per_hour:g}/h, mean service "
          f"{a.service_minutes:g} min, {a.days} days x {a.replicates} replicates")
    print(f"  mean wait min  {w:10.4f} ± {w_ci:.4f}   (Erlang C {ec_w:.4f})")
    print(f"  P(wait > 0)    {pw:10.4f} ± {pw_ci:.4f}   (Erlang C {ec_p:.4f})")
    print(f"  utilisation    {u:10.4f} ± {u_ci:.4f}   (Erlang C {ec_u:.4f})")
    print(f"  {events} events in {sim_s:.2f} s wall, {cpu_s:.2f} s CPU: {events / sim_s:,.0f} events per wall second, "
          f"{events / cpu_s:,.0f} per CPU second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
