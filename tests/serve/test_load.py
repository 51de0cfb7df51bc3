#!/usr/bin/python3
"""Requests under load: while a run computes (using every core), waves of 200 concurrent requests
(half the computing run's status, half a finished run's summary), each on its own connection.
Every request must be answered (200, complete body); the latencies (client-side, from connect to
the last byte, so they include Python's own overhead) are printed with their p50, p99 and max.

usage: test_load.py COMMSIM_BINARY SOURCE_DIR WORK_DIR [WAVES]
"""

import http.client
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import SMALL, Server, check  # noqa: E402

CONCURRENT = 200


def one_request(port, path, out, index, barrier):
    barrier.wait()
    t0 = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path, headers={"Host": "127.0.0.1:%d" % port})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        out[index] = (r.status, len(body), time.perf_counter() - t0)
    except Exception as e:  # recorded as a failure: every request must be answered
        out[index] = (repr(e), 0, time.perf_counter() - t0)


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    binary, source, work = sys.argv[1:4]
    waves = int(sys.argv[4]) if len(sys.argv) == 5 else 5
    os.makedirs(work, exist_ok=True)
    import shutil
    shutil.rmtree(os.path.join(work, "data"), ignore_errors=True)
    with Server(binary, source, os.path.join(work, "data")) as s:
        done = s.post_run(**SMALL)["id"]
        s.wait(done)
        summary_size = len(s.request("GET", "/api/runs/%s/summary" % done)[2])
        # Large enough to keep both cores busy for the whole measurement.
        busy = s.post_run(**{"city.generator.communities": 1300, "run.days": 365, "run.daily_output": False})["id"]
        # Idle first (nothing computing), for reference.
        idle, failures = measure(s, ["/api/runs/%s" % done, "/api/runs/%s/summary" % done], summary_size, 1)
        check(not failures, "idle: %d requests were not answered completely: %s" % (len(failures), failures[:5]))
        # Then while the run simulates (past building its city: the day loop on every core).
        deadline = time.time() + 300
        while s.json("GET", "/api/runs/" + busy)["progress"] < 0.02 and time.time() < deadline:
            time.sleep(0.2)
        latencies, failures = measure(s, ["/api/runs/%s" % busy, "/api/runs/%s/summary" % done], summary_size, waves)
        status = s.json("GET", "/api/runs/" + busy)
        check(status["status"] == "running",
              "the run was still computing at the end of the measurement: %s" % status)
        idle.sort()
        latencies.sort()
        n = len(latencies)
        print("idle: %d concurrent requests, latency p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (len(idle), 1000 * percentile(idle, 0.5), 1000 * percentile(idle, 0.99), 1000 * idle[-1]))
        print("%d requests (%d waves of %d concurrent) while a 1300-community run computed (progress %.0f %%):"
              % (n, waves, CONCURRENT, 100 * status["progress"]))
        print("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
              % tuple(1000 * x for x in (percentile(latencies, 0.5), percentile(latencies, 0.9),
                                         percentile(latencies, 0.99), latencies[-1])))
        check(not failures, "%d requests were not answered completely: %s" % (len(failures), failures[:5]))
        check(percentile(latencies, 0.99) < 5.0, "p99 under 5 s")


def measure(s, two_paths, summary_size, waves):
    """`waves` rounds of CONCURRENT simultaneous requests alternating the two paths (the second a summary)."""
    latencies, failures = [], []
    for wave in range(waves):
        out = [None] * CONCURRENT
        barrier = threading.Barrier(CONCURRENT)
        paths = [two_paths[i % 2] for i in range(CONCURRENT)]
        threads = [threading.Thread(target=one_request, args=(s.port, paths[i], out, i, barrier))
                   for i in range(CONCURRENT)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, (status, size, seconds) in enumerate(out):
            if status != 200 or (i % 2 == 1 and size != summary_size):
                failures.append((paths[i], status, size))
            latencies.append(seconds)
    return latencies, failures


if __name__ == "__main__":
    main()
