#!/usr/bin/python3
"""`commsim serve --bind` (issue 22, item 7), loopback only: the URL printed for another loopback
address answers there (not 403 pointing at 127.0.0.1); a refused --bind creates nothing (no --data
folder); a CONNECT request gets a 400 that closes the connection at once (docs/workbench.md: error
replies close it), not after the 30 s idle timeout; a SIGTERM just after start-up stops it cleanly.

usage: test_bind.py COMMSIM_BINARY SOURCE_DIR WORK_DIR
"""

import http.client
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import Server, args, check  # noqa: E402


def serve(binary, source, data, *extra):
    cmd = [binary, "serve", "--port", "0", "--data", data, "--scenarios", os.path.join(source, "scenarios")] + list(extra)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))


def get(host, port, path, host_header):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host_header})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def other_loopback(binary, source, work):
    proc = serve(binary, source, os.path.join(work, "data-127-0-0-2"), "--bind", "127.0.0.2")
    try:
        line = proc.stdout.readline().decode()
        m = re.search(r"http://([0-9.]+):(\d+)/", line)
        check(m is not None, "serve printed its address: %r" % line)
        host, port = m.group(1), int(m.group(2))
        check(host == "127.0.0.2", "the printed URL names the bound address: %r" % line)
        # What a browser sends when it opens the printed URL.
        status, body = get(host, port, "/", "%s:%d" % (host, port))
        check(status == 200, "the printed URL answers 200, got %d: %r" % (status, body[:300]))
        status, body = get(host, port, "/api/scenarios", "%s:%d" % (host, port))
        check(status == 200, "its API answers 200, got %d: %r" % (status, body[:300]))
        # A foreign name is still refused, and the refusal points at the address that listens.
        status, body = get(host, port, "/api/runs", "attacker.example")
        check(status == 403 and b"http://127.0.0.2:%d/" % port in body, "403 names the bound address: %r" % body)
    finally:
        proc.terminate()
        proc.wait(30)


def refused_bind(binary, source, work):
    data = os.path.join(work, "never-created")
    proc = serve(binary, source, data, "--bind", "0.0.0.0")
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 2, "--bind 0.0.0.0 without a token exits 2, got %s: %r" % (proc.returncode, err))
    check(b"--bind" in err and b"token" in err, "the error names --bind and the token: %r" % err)
    check(not os.path.exists(data), "a refused --bind creates no --data folder")


def connect_closes(server):
    for request in (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                    b"GET http://example.com/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"):
        started = time.time()
        # The write side stays open: only the server can end the connection.
        reply = server.exchange(request, read_timeout=40, shutdown=False)
        elapsed = time.time() - started
        check(re.match(rb"HTTP/1\.1 400 ", reply) is not None, "%r: 400, got %r" % (request[:30], reply[:200]))
        check(b"connection: close" in reply.lower(), "%r: the reply says Connection: close" % request[:30])
        check(elapsed < 5, "%r: the server closed the connection in %.1f s (not the idle timeout)" % (request[:30], elapsed))


def main():
    binary, source, work = args()
    other_loopback(binary, source, work)
    refused_bind(binary, source, work)
    with Server(binary, source, os.path.join(work, "data")) as server:
        connect_closes(server)
    # A SIGTERM right after the address is printed stops the server cleanly (exit 0, checked on
    # leaving the block): the signals are taken over before the address is printed.
    for attempt in range(3):
        with Server(binary, source, os.path.join(work, "data-%d" % attempt)):
            pass
    print("bind test passed")


if __name__ == "__main__":
    main()
