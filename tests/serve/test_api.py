#!/usr/bin/python3
"""The workbench's JSON API end to end on an ephemeral loopback port: scenarios, schema, a run from
POST to summary, the summary identical to `commsim run --summary-json`, the HDF5 file complete,
CSV, communities, compare, validation errors with the CLI's messages, limits, token, Host check,
and the runs listed again after a restart.

usage: test_api.py COMMSIM_BINARY SOURCE_DIR WORK_DIR
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import SMALL, Server, args, baseline_service_count, check  # noqa: E402

N_SERVICES = baseline_service_count()


def cli_summary(binary, source, sets):
    cmd = [binary, "run", os.path.join(source, "scenarios", "xian-baseline.yaml"), "--quiet", "--summary-json", "-"]
    for k, v in sets.items():
        cmd += ["--set", "%s=%s" % (k, json.dumps(v))]
    return subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE")).stdout


def cli_error(binary, source, setting):
    r = subprocess.run([binary, "validate", os.path.join(source, "scenarios", "xian-baseline.yaml"), "--set", setting],
                       capture_output=True, text=True)
    check(r.returncode == 2, "the CLI refuses %s" % setting)
    return r.stderr.strip().removeprefix("commsim: error: ")


START = time.time()


def step(what):
    print("%6.2f s  %s" % (time.time() - START, what), flush=True)


def main():
    binary, source, work = args()
    data = os.path.join(work, "data")
    with Server(binary, source, data) as s:
        scenarios = s.json("GET", "/api/scenarios")["scenarios"]
        names = [x["name"] for x in scenarios]
        check("xian-baseline" in names and "staffing-14-per-10k" in names, "shipped scenarios listed: %s" % names)
        baseline = scenarios[names.index("xian-baseline")]
        check(baseline["within_limits"], "the default limits admit the shipped baseline: %s" % baseline)

        rows = {r["path"]: r for r in s.json("GET", "/api/schema")["rows"]}
        check(rows["run.days"]["low"] == 1 and rows["run.days"]["high"] == 36500, "run.days range in the schema")
        check(rows["sizing.mode"]["choices"] == ["as_given", "uniform", "restructure"], "choices in the schema")
        check("staffing.rules.<name>.per_10k" in rows, "generic map entries in the schema")
        schema = s.json("GET", "/api/schema?scenario=xian-baseline")
        levers = {l["key"]: l for l in schema["levers"]}
        check(levers["staffing.rules.community_worker.per_10k"]["value"] == 18, "the scenario's value of a lever")
        check(schema["main"][0] == "staffing.rules.community_worker.per_10k", "main levers first: %s" % schema["main"])
        check("city.communities_file" not in levers, "file paths are not levers")
        check(s.request("GET", "/api/schema?scenario=nope")[0] == 404, "unknown scenario in the schema query")

        step('A run: queued')
        # A run: queued, computed, its summary exactly the CLI's document for the same keys.
        run_id = s.post_run(**SMALL)["id"]
        run = s.wait(run_id)
        check(run["status"] == "done" and run["progress"] == 1 and run["error"] is None, "run done: %s" % run)
        status, headers, summary = s.request("GET", "/api/runs/%s/summary" % run_id)
        check(status == 200 and headers["content-type"] == "application/json", "summary served")
        check(summary == cli_summary(binary, source, SMALL), "the summary is the CLI's --summary-json document")
        status, headers, h5 = s.request("GET", "/api/runs/%s/output.h5" % run_id)
        check(status == 200 and h5[:8] == b"\x89HDF\r\n\x1a\n", "HDF5 download")
        check("attachment" in headers["content-disposition"], "downloaded as a file")
        path = os.path.join(work, "download.h5")
        with open(path, "wb") as f:
            f.write(h5)
        inspect = subprocess.run([binary, "inspect", path], capture_output=True, text=True,
                                 env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))
        check(inspect.returncode == 0 and "xian-baseline" in inspect.stdout, "commsim inspect reads the download")
        status, headers, csv = s.request("GET", "/api/runs/%s/citywide.csv" % run_id)
        lines = csv.decode().splitlines()
        check(status == 200 and headers["content-type"].startswith("text/csv") and len(lines) == 1 + N_SERVICES,
              "CSV: header and %d services" % N_SERVICES)
        medical = [l for l in lines if ",medical," in l][0].split(",")
        cov = float(medical[lines[0].split(",").index("coverage")])
        check(abs(cov - json.loads(summary)["services"]["medical"]["coverage"]) < 1e-9, "CSV coverage = summary")
        comm = s.json("GET", "/api/runs/%s/communities" % run_id)
        check(len(comm["name"]) == 13 and len(comm["x_m"]) == 13 and len(comm["coverage"]["medical"]) == 13,
              "communities for the map")
        check(s.request("HEAD", "/api/runs/%s/output.h5" % run_id)[0] == 200, "HEAD works")

        step('Validation: the CLI')
        # Validation: the CLI's messages, a 4xx at once, no run created.
        before = len(s.json("GET", "/api/runs")["runs"])
        for key, value in [("run.days", 0), ("run.dayz", 3), ("sizing.mode", "big"),
                           ("staffing.rules.community_worker.per_10k", -1)]:
            err = s.json("POST", "/api/runs", {"scenario": "xian-baseline", "set": {key: value}}, expect=400)
            check(err["key"] == key, "error names the key %s: %s" % (key, err))
            cli = cli_error(binary, source, "%s=%s" % (key, json.dumps(value)))
            check(err["error"] == cli, "same message as the CLI for %s: %r vs %r" % (key, err["error"], cli))
        err = s.json("POST", "/api/runs", {"scenario": "xian-baseline", "set": {"run.days": "30"}}, expect=400)
        check("expected an integer" in err["error"], "text is not a number: %s" % err)
        err = s.json("POST", "/api/runs", {"scenario": "xian-baseline", "set": {"city.communities_file": "/etc/passwd"}},
                     expect=400)
        check("file paths" in err["error"], "file paths refused: %s" % err)
        err = s.json("POST", "/api/runs", {"scenario": "../../etc/passwd"}, expect=400)
        check("no shipped scenario" in err["error"], "scenario by name only: %s" % err)
        err = s.json("POST", "/api/runs", {"scenario": "xian-baseline",
                                           "set": dict(SMALL, name="x\"\nrun: {days: 1}\\")}, expect=202)
        injected = s.wait(err["id"])
        check(injected["days"] == 14, "a text value stays one value (no YAML injection): %s" % injected)
        check(s.json("GET", "/api/runs/%s/summary" % err["id"])["scenario"] == "x\"\nrun: {days: 1}\\",
              "the text arrives as sent")
        s.request("GET", "/api/runs")
        check(len(s.json("GET", "/api/runs")["runs"]) == before + 1, "refused requests created no run")

        step('Compare: paired')
        # Compare: paired over replicates.
        base = s.post_run(**dict(SMALL, **{"run.replicates": 3}))["id"]
        variant = s.post_run(**dict(SMALL, **{"run.replicates": 3, "staffing.rules.community_worker.per_10k": 10}))["id"]
        s.wait(base, timeout=600)
        s.wait(variant)
        c = s.json("GET", "/api/compare?base=%s&variant=%s" % (base, variant))
        check(c["paired"] and c["replicates"] == 3 and c["notes"] == [], "paired comparison: %s" % c["notes"])
        staff = c["roles"]["community_worker"]["staff"]
        check(staff["difference"] < 0 and staff["variant"] < staff["base"], "fewer community workers: %s" % staff)
        x = c["services"]["elderly_check_in"]["coverage"]
        check(x["difference_ci95"] > 0 and abs(x["variant"] - x["base"] - x["difference"]) < 1e-12, "difference: %s" % x)
        check(s.request("GET", "/api/compare?base=%s&variant=%s" % (run_id, variant))[0] == 409,
              "different replicate counts cannot be paired")
        check(s.request("GET", "/api/compare?base=%s" % run_id)[0] == 400, "compare needs both runs")

        step('Host check')
        # Host check: a page elsewhere that points its name at 127.0.0.1 (DNS rebinding) is refused.
        check(s.request("GET", "/api/runs", headers={"Host": "evil.example:%d" % s.port})[0] == 403, "Host check")
        check(s.request("GET", "/api/runs", headers={"Host": "localhost:%d" % s.port})[0] == 200, "localhost is fine")
        runs_before = s.json("GET", "/api/runs")["runs"]

    step('After a restart')
    # After a restart the runs are listed again and their results served.
    with Server(binary, source, data) as s:
        runs_after = s.json("GET", "/api/runs")["runs"]
        check([(r["id"], r["status"]) for r in runs_after] == [(r["id"], r["status"]) for r in runs_before],
              "runs listed again after a restart")
        check(s.request("GET", "/api/runs/%s/summary" % run_id)[2] == summary, "summary served after a restart")

    step('Limits.')
    # Limits.
    with Server(binary, source, os.path.join(work, "limits"), "--max-resident-days", "6e8", "--max-replicates", "2",
                "--max-queued", "1") as s:
        err = s.json("POST", "/api/runs", {"scenario": "xian-baseline", "set": dict(SMALL, **{"run.replicates": 3})},
                     expect=422)
        check(err["key"] == "run.replicates", "replicates limit: %s" % err)
        err = s.json("POST", "/api/runs", {"scenario": "xian-baseline", "set": {"run.days": 365}}, expect=422)
        check("resident-days" in err["error"], "size limit: %s" % err)
        err = s.json("POST", "/api/runs", {"scenario": "xian-baseline"}, expect=422)
        check("--max-resident-days" in err["error"], "the shipped baseline is over this server's limit")
        # One run computing, one waiting: a third is refused with 429 (the queue holds one).
        big = {"city.generator.communities": 150, "run.days": 365, "run.daily_output": False}
        first = s.post_run(**big)["id"]
        s.wait(first, states=("running",))
        s.post_run(**SMALL)
        status, headers, body = s.request("POST", "/api/runs", {"scenario": "xian-baseline", "set": SMALL})
        check(status == 429 and headers.get("retry-after") == "30", "queue full: %d %s" % (status, body))
        # Stopped while a run computes: the run is recorded as interrupted, the waiting one kept.
        check(s.stop() == 0, "SIGTERM stops the server")
        meta = json.load(open(os.path.join(work, "limits", "runs", first, "meta.json")))
        check(meta["status"] == "failed" and meta["error"].startswith("interrupted"), "interrupted run: %s" % meta)
    with Server(binary, source, os.path.join(work, "limits"), "--max-resident-days", "6e8") as s:
        waiting = s.json("GET", "/api/runs")["runs"][0]
        check(s.wait(waiting["id"])["status"] == "done", "the waiting run is queued again and runs after a restart")

    step('A token')
    # A token: needed as Authorization: Bearer on /api/, the page itself is public.
    token = "correct-horse-battery-staple"
    with Server(binary, source, os.path.join(work, "token"), "--token", token) as s:
        check(s.request("GET", "/api/runs")[0] == 401, "no token: 401")
        check(s.request("GET", "/api/runs", headers={"Authorization": "Bearer wrong-token-wrong-token"})[0] == 401,
              "wrong token: 401")
        check(s.request("GET", "/api/runs", headers={"Authorization": "Bearer " + token})[0] == 200, "token: 200")
        check(s.request("GET", "/")[0] == 200, "the page needs no token")
    r = subprocess.run([binary, "serve", "--bind", "0.0.0.0", "--port", "0", "--data", os.path.join(work, "open")],
                       capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "COMMSIM_SERVE_TOKEN"})
    check(r.returncode == 2 and "token" in r.stderr, "binding beyond loopback without a token is refused: %s" % r.stderr)
    print("API test passed")


if __name__ == "__main__":
    main()
