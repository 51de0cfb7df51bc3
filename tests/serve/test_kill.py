#!/usr/bin/python3
"""Nothing in --data is lost or corrupted when the server is killed (SIGKILL) mid-run: once while
the run simulates and once while it writes its HDF5 file. After a restart the finished runs are
byte for byte as before, the killed run is marked failed ("interrupted"), no partial or temporary
file is left, and the run that was waiting behind it is queued again and completes.

usage: test_kill.py COMMSIM_BINARY SOURCE_DIR WORK_DIR
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import SMALL, Server, args, check  # noqa: E402


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(data, run_id):
    d = os.path.join(data, "runs", run_id)
    return {name: digest(os.path.join(d, name)) for name in sorted(os.listdir(d))}


def kill_when(s, run_id, condition, what):
    deadline = time.time() + 300
    while time.time() < deadline:
        run = s.json("GET", "/api/runs/" + run_id)
        if condition(run):
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            return run
        check(run["status"] in ("queued", "running"), "run %s ended before it could be killed %s: %s" % (run_id, what, run))
        time.sleep(0.01)
    raise AssertionError("the run never got %s" % what)


def main():
    binary, source, work = args()
    data = os.path.join(work, "data")
    env = dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE")
    cases = [
        ("while simulating", {"city.generator.communities": 200, "run.days": 365},
         lambda r: r["status"] == "running" and r.get("phase") == "simulating" and r["progress"] > 0.1),
        # Daily records of 300 communities make an HDF5 file that takes a moment to write.
        ("while writing its HDF5 file", {"city.generator.communities": 300, "run.days": 365},
         lambda r: r.get("phase") == "writing"),
    ]
    s = Server(binary, source, data).start()
    finished = s.post_run(**SMALL)["id"]
    s.wait(finished)
    before = snapshot(data, finished)
    summary = s.request("GET", "/api/runs/%s/summary" % finished)[2]
    for what, levers, condition in cases:
        victim = s.post_run(**levers)["id"]
        waiting = s.post_run(**SMALL)["id"]
        seen = kill_when(s, victim, condition, what)
        print("killed the server %s (run %s: %s, %.0f %%)" % (what, victim, seen.get("phase"), 100 * seen["progress"]))
        s.stop()
        on_disk = json.load(open(os.path.join(data, "runs", victim, "meta.json")))
        check(on_disk["status"] == "running", "the killed run's record says running: %s" % on_disk)

        s = Server(binary, source, data).start()
        check(snapshot(data, finished) == before, "the finished run's files are unchanged")
        check(s.request("GET", "/api/runs/%s/summary" % finished)[2] == summary, "its summary is served as before")
        run = s.json("GET", "/api/runs/" + victim)
        check(run["status"] == "failed" and run["error"].startswith("interrupted"), "killed run marked failed: %s" % run)
        left = os.listdir(os.path.join(data, "runs", victim))
        check(left == ["meta.json"], "no partial file of the killed run is left: %s" % left)
        check(s.request("GET", "/api/runs/%s/output.h5" % victim)[0] == 409, "the failed run has no output")
        check(s.wait(waiting)["status"] == "done", "the run waiting behind it was queued again and finished")
        inspect = subprocess.run([binary, "inspect", os.path.join(data, "runs", finished, "output.h5")],
                                 capture_output=True, env=env)
        check(inspect.returncode == 0, "the finished run's HDF5 file reads")
    stray = [os.path.join(r, f) for r, _, fs in os.walk(data) for f in fs if f.endswith((".tmp", ".partial"))]
    check(not stray, "no temporary files: %s" % stray)
    s.stop()
    print("kill test passed")


if __name__ == "__main__":
    main()
