"""Helpers for the workbench tests (tests/serve/*.py): start `commsim serve --port 0` on a fresh
data directory, read the port it prints, talk HTTP with the standard library only.

Run by ctest with Debian's /usr/bin/python3: test_X.py COMMSIM_BINARY SOURCE_DIR WORK_DIR.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time


class Server:
    """`commsim serve` on an ephemeral loopback port; stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, binary, source_dir, data_dir, *extra):
        self.binary, self.source_dir, self.data_dir, self.extra = binary, source_dir, data_dir, list(extra)
        self.proc = None
        self.port = None

    def start(self):
        cmd = [self.binary, "serve", "--port", "0", "--data", self.data_dir,
               "--scenarios", os.path.join(self.source_dir, "scenarios")] + self.extra
        env = dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE")
        self.stderr_path = os.path.join(os.path.dirname(self.data_dir.rstrip("/")) or ".", "server-stderr.txt")
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, env=env)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("commsim serve did not print its address; stdout: %r; stderr in %s"
                               % (line, self.stderr_path))
        self.port = int(m.group(1))
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc.stdout.close()
        self.stderr.close()
        self.proc = None
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, *exc):
        code = self.stop()
        # A clean stop exits 0 (a sanitizer's report at exit would not).
        if exc_type is None and code not in (None, 0):
            raise AssertionError("commsim serve exited with %s; stderr in %s" % (code, self.stderr_path))

    # -------------------------------------------------------------- HTTP
    def request(self, method, path, body=None, headers=None, timeout=60):
        """(status, headers dict, body bytes) of one request on a fresh connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            h = {"Host": "127.0.0.1:%d" % self.port}
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                h["Content-Type"] = "application/json"
            h.update(headers or {})
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None, expect=200):
        status, h, data = self.request(method, path, body, headers)
        if status != expect:
            raise AssertionError("%s %s: expected %d, got %d: %s" % (method, path, expect, status, data[:500]))
        return json.loads(data)

    def exchange(self, data, read_timeout=30, shutdown=True):
        """Sends raw bytes on a new connection and returns all the server sent until it closed."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        reply = b""
        try:
            if data:
                s.sendall(data)
            if shutdown:
                s.shutdown(socket.SHUT_WR)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            pass
        finally:
            s.close()
        return reply

    def raw(self, data, read_timeout=30, shutdown=True):
        """Sends raw bytes on a new connection and returns the status code of the reply (None if none)."""
        m = re.match(rb"HTTP/1\.[01] (\d{3})", self.exchange(data, read_timeout, shutdown))
        return int(m.group(1)) if m else None

    def post_run(self, scenario="xian-baseline", expect=202, **sets):
        return self.json("POST", "/api/runs", {"scenario": scenario, "set": sets}, expect=expect)

    def wait(self, run_id, timeout=300, states=("done", "failed")):
        deadline = time.time() + timeout
        while time.time() < deadline:
            run = self.json("GET", "/api/runs/" + run_id)
            if run["status"] in states:
                return run
            time.sleep(0.1)
        raise AssertionError("run %s did not reach %s in %d s" % (run_id, states, timeout))


# A small run: the baseline's levers on 12 communities for 14 days (about a second).
SMALL = {"city.generator.communities": 13, "run.days": 14}  # one community per district or county


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def args():
    if len(sys.argv) != 4:
        sys.exit("usage: %s COMMSIM_BINARY SOURCE_DIR WORK_DIR" % sys.argv[0])
    return sys.argv[1], sys.argv[2], fresh_dir(sys.argv[3])


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def baseline_service_count():
    """Services of the shipped baseline (scenarios/xian-baseline.yaml): the keys under `services:`."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    count, inside = 0, False
    with open(os.path.join(root, "scenarios", "xian-baseline.yaml"), encoding="utf-8") as f:
        for line in f:
            if re.match(r"^\S", line):
                inside = line.startswith("services:")
            elif inside and re.match(r"^  [a-z_0-9]+:\s*(#.*)?$", line):
                count += 1
    return count
