#!/usr/bin/python3
"""analysis/to_csv.py: every table exports, row counts match the file, values round-trip, errors
are clear. Usage: test_csv.py COMMSIM_BINARY [DATA_DIR]"""

import contextlib
import csv
import io
import os
import shutil
import tempfile
import unittest

import h5py

from common import STUDY_GRID, Data, main, tool
import to_csv  # noqa: E402  (common puts analysis/ on sys.path)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows


class ToCsv(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.single = Data.path("single.h5")
        with h5py.File(cls.single, "r") as f:
            g = f["runs/0000"]
            cls.services = list(g["service_names"].asstr()[:])
            cls.roles = list(g["role_names"].asstr()[:])
            cls.names = list(g["communities/name"].asstr()[:])
            cls.city_cov = g["citywide/services/coverage"][:]
            cls.cov = g["totals/coverage"][:]
            cls.households = g["communities/households"][:]
            cls.staff = g["communities/staff"][:]
            cls.days = g["daily/demand"].shape[1]
            cls.wait = g["daily/wait_mean_min"][:]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def export(self, table, src=None, *extra):
        """In-process (saves an interpreter start per table); the exit paths are tested with tool()."""
        out = os.path.join(self.tmp, f"{table}.csv")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = to_csv.main([src or self.single, table, "-o", out] + list(extra))
        self.assertEqual(rc, 0, err.getvalue())
        self.assertIn(f"{len(read_csv(out))} rows", err.getvalue())
        return read_csv(out)

    def test_list(self):
        r = tool("to_csv.py", self.single, "--list")
        self.assertEqual(r.returncode, 0, r.stderr)
        for t in ("citywide-services", "citywide-roles", "communities", "totals", "totals-roles", "daily",
                  "daily-roles", "wait-histogram", "run-attributes", "study"):
            self.assertIn(t, r.stdout)

    def test_citywide(self):
        rows = self.export("citywide-services")
        self.assertEqual([r["name"] for r in rows], self.services)
        for r, c in zip(rows, self.city_cov):
            self.assertEqual(float(r["coverage"]), c)   # exact round trip
        rows = self.export("citywide-roles")
        self.assertEqual([r["name"] for r in rows], self.roles)

    def test_communities(self):
        rows = self.export("communities")
        self.assertEqual(len(rows), len(self.names))
        self.assertEqual([r["name"] for r in rows], self.names)
        for c, r in enumerate(rows):
            self.assertEqual(int(r["households"]), self.households[c])
            for k, role in enumerate(self.roles):
                self.assertEqual(int(r[f"staff_{role}"]), self.staff[c, k])

    def test_totals(self):
        rows = self.export("totals")
        self.assertEqual(len(rows), len(self.names) * len(self.services))
        for r in rows:
            c, s = self.names.index(r["community"]), self.services.index(r["service"])
            self.assertEqual(float(r["coverage"]), self.cov[c, s])
        rows = self.export("totals-roles")
        self.assertEqual(len(rows), len(self.names) * len(self.roles))

    def test_daily(self):
        rows = self.export("daily")
        self.assertEqual(len(rows), len(self.names) * self.days * len(self.services))
        for r in rows[:: max(1, len(rows) // 50)]:
            c, s, d = self.names.index(r["community"]), self.services.index(r["service"]), int(r["day"])
            self.assertEqual(float(r["wait_mean_min"]), float(self.wait[c, d, s]))
        self.assertEqual(len(self.export("daily-roles")), len(self.names) * self.days * len(self.roles))

    def test_units_header(self):
        self.export("citywide-services", None, "--units")
        with open(os.path.join(self.tmp, "citywide-services.csv")) as f:
            header = f.readline()
        self.assertIn("mean_wait_min [minutes]", header)

    def test_stdout(self):
        r = tool("to_csv.py", self.single, "citywide-services")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.strip().splitlines()), 1 + len(self.services))

    def test_run_selection(self):
        path = Data.path("replicates.h5")
        with h5py.File(path, "r") as f:
            seed1 = int(f["runs/0001"].attrs["seed"])
        rows = self.export("run-attributes", path, "--run", "1")
        self.assertEqual(int({r["attribute"]: r["value"] for r in rows}["seed"]), seed1)
        rows = self.export("run-attributes", path, "--run", "0001")
        self.assertEqual(int({r["attribute"]: r["value"] for r in rows}["seed"]), seed1)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(to_csv.main([path, "daily"]), 2)
        self.assertIn("no daily records", err.getvalue())

    def test_study_table(self):
        rows = self.export("study", Data.path("study.h5"))
        self.assertEqual(len(rows), 2 * len(STUDY_GRID))
        self.assertIn("staffing.rules.community_worker.per_10k", rows[0])
        self.assertEqual(sum(r["ok"] == "True" for r in rows), len(rows) - 1)

    def test_errors(self):
        bad = os.path.join(self.tmp, "bad.h5")
        with open(self.single, "rb") as f:
            data = f.read()
        with open(bad, "wb") as f:
            f.write(data[:4096])
        r = tool("to_csv.py", bad, "communities")
        self.assertEqual(r.returncode, 2)
        self.assertIn("error:", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        r = tool("to_csv.py", self.single, "no-such-table")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown table", r.stderr)
        r = tool("to_csv.py", self.single, "communities", "--run", "7")
        self.assertEqual(r.returncode, 2)
        self.assertIn("out of range", r.stderr)


if __name__ == "__main__":
    main()
