#!/usr/bin/python3
"""commsim regions and analysis/nation_map.py (issue 27): the regions of a run add up to the run, the
map is drawn from the province table, bad input exits 2. Usage: test_nation.py COMMSIM_BINARY [DATA_DIR]"""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py

from common import ANALYSIS, PYTHON, SCENARIO, TINY, Data, main


def regions(level, out):
    cmd = [Data.binary, "regions", SCENARIO, Data.path("single.h5"), "--level", level, "-o", out]
    for k, v in TINY.items():
        cmd += ["--set", f"{k}={v}"]
    subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))
    with open(out, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Nation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        with h5py.File(Data.path("single.h5"), "r") as f:
            cls.residents = int(f["runs/0000/communities/residents"][:].sum())
            cls.communities = len(f["runs/0000/communities/name"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_units_add_up_to_the_province(self):
        province = regions("province", os.path.join(self.tmp, "p.csv"))
        units = regions("unit", os.path.join(self.tmp, "u.csv"))
        self.assertEqual([r["code"] for r in province], ["610000"])
        self.assertEqual(province[0]["name"], "陕西省")
        self.assertEqual(int(province[0]["residents"]), self.residents)
        self.assertEqual(len(units), 13)  # one community per unit of Xi'an
        self.assertEqual(sum(int(r["residents"]) for r in units), self.residents)
        self.assertEqual(sum(int(r["communities"]) for r in units), self.communities)
        for r in units:
            self.assertTrue(0 <= float(r["coverage"]) <= 1, r)
            self.assertGreater(float(r["community_worker_per_10k"]), 0, r)

    def test_map_is_drawn_and_bad_column_exits_2(self):
        table = os.path.join(self.tmp, "p2.csv")
        regions("province", table)
        png = os.path.join(self.tmp, "map.png")
        subprocess.run([PYTHON, os.path.join(ANALYSIS, "nation_map.py"), table, "-o", png], check=True,
                       capture_output=True)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        bad = subprocess.run([PYTHON, os.path.join(ANALYSIS, "nation_map.py"), table, "-o", png, "--value", "nope"],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("no column 'nope'", bad.stderr)


    def test_report_maps_the_provinces_of_a_run_as_regions_counts_them(self):
        sets = ["city.census.city_code=\"\"", "city.census.units=[\"110101\",\"310101\",\"610102\"]",
                "city.generator.communities=3", "run.days=7"]
        h5 = os.path.join(self.tmp, "three.h5")
        args = sum([["--set", s] for s in sets], [])
        env = dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE")
        subprocess.run([Data.binary, "run", SCENARIO, *args, "-o", h5, "--quiet"], check=True, capture_output=True, env=env)
        table = os.path.join(self.tmp, "three.csv")
        subprocess.run([Data.binary, "regions", SCENARIO, h5, *args, "--level", "province", "-o", table], check=True,
                       capture_output=True, env=env)
        with open(table, newline="", encoding="utf-8") as f:
            expected = {r["code"]: r for r in csv.DictReader(f)}
        self.assertEqual(sorted(expected), ["110000", "310000", "610000"])
        sys.path.insert(0, ANALYSIS)
        from commsim_h5 import open_output
        from commsim_report.core import Report
        with open_output(h5) as out:
            report = Report(out, os.path.join(self.tmp, "report"))
            rows = report.province_rows()
            index = report.build()
        self.assertEqual([r["code"] for r in rows], ["110000", "310000", "610000"])
        for r in rows:
            e = expected[r["code"]]
            self.assertEqual(r["residents"], float(e["residents"]))
            self.assertAlmostEqual(r["unmet_hours_per_10k"], float(e["unmet_hours_per_10k"]),
                                   delta=1e-6 * r["unmet_hours_per_10k"])
            self.assertAlmostEqual(r["coverage_pct"] / 100, float(e["coverage"]), places=6)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "report", "province_map.png")))
        with open(index, encoding="utf-8") as f:
            page = f.read()
        self.assertIn('<section id="provinces">', page)
        self.assertIn("上海", page)


if __name__ == "__main__":
    main()
