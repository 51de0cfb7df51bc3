#!/usr/bin/python3
"""analysis/report.py --pareto: the trade-off front of `commsim pareto` (its -o file or its --json
document) is drawn and its table holds every point's levers and objectives; a file that is not a
front exits 2. Usage: test_report_pareto.py COMMSIM_BINARY [DATA_DIR]"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import h5py

from common import SCENARIO, Data, main, tool
from test_report import section_table

LEVER = "staffing.rules.community_worker.per_10k"


class ParetoReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.h5 = os.path.join(cls.tmp, "front.h5")
        cls.json = os.path.join(cls.tmp, "front.json")
        cmd = [Data.binary, "pareto", SCENARIO, "--lever", f"{LEVER}=8:30", "--objectives", "cost_total_yuan,coverage",
               "--population", "8", "--generations", "1", "--set", "city.generator.communities=13", "--set",
               "run.days=14", "--threads", "2", "--json", "-o", cls.h5]
        with open(cls.json, "w", encoding="utf-8") as out:
            subprocess.run(cmd, check=True, stdout=out, env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    # Without --pareto there is no such section: the other report tests list every figure a report has.
    def report(self, front):
        out = os.path.join(self.tmp, "report-" + os.path.basename(front))
        proc = tool("report.py", Data.path("single.h5"), "-o", out, "--pareto", front)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
            return out, f.read()

    def test_front_chart_and_table(self):
        with open(self.json, encoding="utf-8") as f:
            front = json.load(f)["front"]
        with h5py.File(self.h5, "r") as f:
            self.assertEqual(len(f["pareto/front_objectives/value"]), len(front))
        for source in (self.h5, self.json):
            out, page = self.report(source)
            self.assertTrue(os.path.getsize(os.path.join(out, "pareto_front.png")) > 10000)
            head, rows, section = section_table(page, "pareto")
            self.assertIn("Trade-off front", section)
            self.assertEqual(len(head), 3)
            self.assertEqual(len(rows), len(front))
            for row, point in zip(rows, sorted(front, key=lambda q: q["objectives"]["cost_total_yuan"])):
                self.assertAlmostEqual(float(row[0]), point["levers"][LEVER], places=6)
                cost = point["objectives"]["cost_total_yuan"]
                self.assertAlmostEqual(float(row[1].replace(",", "")), cost, delta=abs(cost) * 1e-5)

    def test_not_a_front(self):
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w", encoding="utf-8") as f:
            f.write('{"front": []}')
        proc = tool("report.py", Data.path("single.h5"), "-o", os.path.join(self.tmp, "bad"), "--pareto", bad)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("bad.json", proc.stderr)


if __name__ == "__main__":
    main()
