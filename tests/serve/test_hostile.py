#!/usr/bin/python3
"""Hostile and broken requests against the workbench while a run computes: malformed JSON, unknown
keys, out-of-range values, path traversal, oversized bodies and headers, slow clients, unknown run
ids, malformed HTTP. Each must get a 4xx (a JSON error naming the problem where there is a
response body to read), and the server must keep serving: the run finishes and a fresh request
is answered.

usage: test_hostile.py COMMSIM_BINARY SOURCE_DIR WORK_DIR
"""

import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import SMALL, Server, args, check  # noqa: E402

READ_TIMEOUT = 2  # seconds (--read-timeout), so the slow clients are answered quickly


def post(body, content_type="application/json"):
    return ("POST", "/api/runs", body if isinstance(body, (bytes, str)) else json.dumps(body),
            {"Content-Type": content_type} if content_type else {})


def run_set(**sets):
    return post({"scenario": "xian-baseline", "set": sets})


def run_set_key(key, value):
    return post({"scenario": "xian-baseline", "set": {key: value}})


# Requests without a body or extra headers, one a line: "name | expected status | METHOD target".
PLAIN = """
traversal at the root | 404 | GET /../../etc/passwd
traversal under runs | 404 | GET /api/runs/../../../etc/passwd
encoded traversal | 404 | GET /api/runs/%2e%2e%2f%2e%2e%2fetc%2fpasswd/summary
traversal from a run | 404 | GET /api/runs/000001/../../meta.json
traversal from an asset | 404 | GET /app.js/../../etc/passwd
schema traversal | 404 | GET /api/schema?scenario=../xian-baseline
unknown run | 404 | GET /api/runs/999999
non-numeric run id | 404 | GET /api/runs/abc
run id with a suffix | 404 | GET /api/runs/000001x/summary
negative run id | 404 | GET /api/runs/-1
unknown run resource | 404 | GET /api/runs/000001/secret
compare unknown runs | 404 | GET /api/compare?base=999999&variant=999998
compare with an extra parameter | 400 | GET /api/compare?base=1&variant=2&x=3
bad %-escape | 400 | GET /api/schema?scenario=%zz
unknown API path | 404 | GET /api/admin
unknown page | 404 | GET /index.php
query on a page file | 400 | GET /app.js?v=1
DELETE on runs | 405 | DELETE /api/runs
PUT on a run | 405 | PUT /api/runs/000001
"""


def plain_cases(table):
    cases = []
    for line in table.strip().splitlines():
        name, status, request = (part.strip() for part in line.split("|"))
        method, target = request.split(" ", 1)
        cases.append((name, int(status), (method, target, None, {})))
    return cases


# (name, expected status or None for "any 4xx", request): request = (method, path, body, headers) or raw bytes.
CASES = [
    # -- malformed JSON
    ("truncated JSON", 400, post("{")),
    ("trailing comma", 400, post('{"scenario": "xian-baseline", "set": {"run.days": 14,}}')),
    ("JSON array body", 400, post("[]")),
    ("JSON string body", 400, post('"xian-baseline"')),
    ("JSON null body", 400, post("null")),
    ("empty body", 400, post("")),
    ("NaN literal", 400, post('{"scenario": "xian-baseline", "set": {"run.days": NaN}}')),
    ("invalid UTF-8", 400, post(b'{"scenario": "xian-baseline\xff\xfe"}')),
    ("deeply nested", 400, post('{"scenario": "xian-baseline", "set": ' + "[" * 5000 + "]" * 5000 + "}")),
    ("duplicate top-level nonsense", 400, post('{"scenario": 12}')),
    ("text/plain POST (cross-site form)", 415, post('{"scenario": "xian-baseline"}', "text/plain")),
    ("no content type", 415, post('{"scenario": "xian-baseline"}', None)),
    # -- unknown keys
    ("unknown body field", 400, post({"scenario": "xian-baseline", "sett": {}})),
    ("unknown key", 400, run_set_key("run.dayz", 14)),
    ("unknown section", 400, run_set_key("foo.bar", 1)),
    ("key with '='", 400, run_set_key("run.days=1", 1)),
    ("key with a space", 400, run_set_key("run. days", 1)),
    ("key of dots", 400, run_set_key("..", 1)),
    ("empty key", 400, run_set_key("", 1)),
    ("extends", 400, run_set_key("extends", "/etc/passwd")),
    ("households file", 400, run_set_key("population.households_file", "/etc/shadow")),
    ("list value", 400, run_set_key("run.days", [1, 2])),
    ("object value", 400, run_set_key("run", {"days": 1})),
    ("set not an object", 400, post({"scenario": "xian-baseline", "set": ["run.days=1"]})),
    # -- out-of-range and wrong-type values
    ("days 0", 400, run_set_key("run.days", 0)),
    ("days 1e9", 400, run_set_key("run.days", 1e9)),
    ("days 1.5", 400, run_set_key("run.days", 1.5)),
    ("days as text", 400, run_set_key("run.days", "14")),
    ("days true", 400, run_set_key("run.days", True)),
    ("replicates 0", 400, run_set_key("run.replicates", 0)),
    ("replicates over the server's limit", 422, run_set(**dict(SMALL, **{"run.replicates": 1000}))),
    ("negative staffing", 400, run_set_key("staffing.rules.community_worker.per_10k", -5)),
    ("coverage target 2", 400, run_set_key("run.coverage_target", 2)),
    ("unknown choice", 400, run_set_key("sizing.mode", "huge")),
    ("negative seed", 400, run_set_key("run.seed", -1)),
    ("a city too large", 422, run_set_key("city.generator.communities", 1000000)),
    ("ten years of the whole city", 422, run_set_key("run.days", 3650)),
    # -- path traversal and names
    ("scenario path", 400, post({"scenario": "../../../etc/passwd"})),
    ("scenario in a subfolder", 400, post({"scenario": "validation/mmc"})),
    ("absolute-form target", 400, b"GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    # -- unknown run ids and resources
    ("POST on the page", 405, ("POST", "/", "x", {"Content-Type": "application/json"})),
    ("foreign Host (DNS rebinding)", 403, ("GET", "/api/runs", None, {"Host": "attacker.example"})),
    # -- malformed HTTP
    ("garbage request line", 400, b"GARBAGE\r\n\r\n"),
    ("HTTP/9.9", 400, b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n"),
    ("bad header line", 400, b"GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"),
    ("two content lengths", 400, b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
                                 b"Content-Length: 3\r\nContent-Type: application/json\r\n\r\n{}"),
    ("bad chunk size", 400, b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                            b"Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
]


def oversized_cases(port):
    big = b"x" * (1 << 20)
    return [
        ("1 MiB body", 413, b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(big) + big),
        ("10 MiB announced", 413, b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                  b"Content-Length: 10485760\r\n\r\n" + big[:65536]),
        ("chunked past the limit", 413, b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                                        b"Content-Type: application/json\r\n\r\n"
                                        + b"".join(b"4000\r\n" + b"y" * 0x4000 + b"\r\n" for _ in range(8)) + b"0\r\n\r\n"),
        ("20 KiB header", 431, b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: " + b"j" * 20000 + b"\r\n\r\n"),
    ]


SLOW = [
    ("connects and sends nothing", b""),
    ("half a request line", b"GET /api/ru"),
    ("headers never finished", b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1"),
    ("body slower than the timeout", b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                     b"Content-Length: 100\r\n\r\n{\"scen"),
]


def main():
    binary, source, work = args()
    with Server(binary, source, os.path.join(work, "data"), "--read-timeout", str(READ_TIMEOUT)) as s:
        # A run computing the whole time (a few seconds), and one finished run to aim at.
        done = s.post_run(**SMALL)["id"]
        s.wait(done)
        busy = s.post_run(**{"city.generator.communities": 200, "run.days": 120})["id"]
        results = []

        def record(name, expected, status):
            ok = status is not None and 400 <= status < 500 and (expected is None or status == expected)
            results.append((name, expected, status, ok))

        # Slow clients in parallel (each waits for the read timeout), while the rest go one by one.
        threads = []
        for name, data in SLOW:
            def go(name=name, data=data):
                # Sends `data` (maybe nothing), then waits without sending more.
                record("slow: " + name, 408, s.raw(data, read_timeout=READ_TIMEOUT + 10, shutdown=False))
            t = threading.Thread(target=go)
            t.start()
            threads.append(t)
        for name, expected, req in CASES + plain_cases(PLAIN) + oversized_cases(s.port):
            if isinstance(req, bytes):
                status = s.raw(req)
                record(name, expected, status)
                continue
            method, path, body, headers = req
            h = dict(headers)
            h.setdefault("Host", "127.0.0.1:%d" % s.port)
            status, resp_headers, data = s.request(method, path, body, h)
            if 400 <= status < 500:
                err = json.loads(data)
                check(err["status"] == status and err["error"], "%s: a JSON error naming the problem: %s" % (name, data))
            record(name, expected, status)
        for t in threads:
            t.join()
        check(s.alive(), "the server is still running")
        width = max(len(r[0]) for r in results)
        for name, expected, status, ok in results:
            print("%-*s  expected %-4s got %s %s" % (width, name, expected or "4xx", status, "" if ok else "  <-- FAIL"))
        failed = [r for r in results if not r[3]]
        check(len(results) >= 40, "at least 40 hostile requests (%d)" % len(results))
        check(not failed, "%d of %d hostile requests were not answered as expected" % (len(failed), len(results)))
        # Still serving: the run computing meanwhile finishes, a new one is accepted, nothing was created by the above.
        check(s.wait(busy)["status"] == "done", "the run computing during the attack finished")
        check(len(s.json("GET", "/api/runs")["runs"]) == 2, "no hostile request created a run")
        check(s.wait(s.post_run(**SMALL)["id"])["status"] == "done", "a new run after the attack")
        print("%d hostile requests, each a 4xx; the server kept serving" % len(results))


if __name__ == "__main__":
    main()
