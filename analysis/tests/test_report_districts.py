#!/usr/bin/python3
"""analysis/report.py's district section on the census test city (13 communities, one per district or
county): the facts table lists every district with the file's facts, the coverage table marks for each
service the district the file names as worst served and gives the file's best - worst spread, and the
district figure is drawn. A file without districts gets no section and lists the figure as not shown.
Usage: test_report_districts.py COMMSIM_BINARY [DATA_DIR]"""

import html
import os
import re
import shutil
import tempfile
import unittest

import h5py
import numpy as np

from common import Data, main, tool


def table_rows(section, index):
    """Rows (lists of cell texts) of the index-th table in an HTML fragment."""
    table = re.findall(r"<table[^>]*>(.*?)</table>", section, re.S)[index]
    body = table[table.index("<tbody>"):]
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


class DistrictSection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.proc = tool("report.py", Data.path("single.h5"), "-o", cls.tmp)
        with open(os.path.join(cls.tmp, "index.html"), encoding="utf-8") as f:
            page = f.read()
        start = page.index('<section id="districts">')
        cls.section = page[start:page.index("</section>", start)]
        with h5py.File(Data.path("single.h5"), "r") as f:
            run = f["runs/0000"]
            d = run["districts"]
            cls.names = list(d["name"].asstr()[:])
            cls.share_60 = d["share_60plus"][:]
            cls.residents = d["residents"][:]
            cls.coverage = d["coverage"][:]
            cls.demand = d["demand"][:]
            cls.services = list(run["service_names"].asstr()[:])
            cw = run["citywide/services"]
            cls.worst = list(cw["worst_district"].asstr()[:])
            cls.best_v, cls.worst_v = cw["district_coverage_best"][:], cw["district_coverage_worst"][:]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_figure(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        with open(os.path.join(self.tmp, "district_coverage.png"), "rb") as f:
            self.assertGreater(len(f.read()), 15000)
        self.assertIn('id="fig-district_coverage"', self.section)

    def test_facts_table(self):
        self.assertGreaterEqual(len(self.names), 2)
        rows = table_rows(self.section, 0)
        self.assertEqual([r[0] for r in rows], self.names)
        for r, s60, res in zip(rows, self.share_60, self.residents):
            self.assertEqual(r[5], f"{100 * s60:.1f} %")
            self.assertEqual(int(r[4].replace(",", "")), int(res))

    def test_worst_marked_and_spread(self):
        rows = table_rows(self.section, 1)
        self.assertEqual([r[0] for r in rows[:-1]], self.names)
        self.assertEqual(rows[-1][0], "best − worst (points)")
        marked = 0
        for j, s in enumerate(self.services):
            col = [r[j + 1] for r in rows[:-1]]
            marks = [self.names[i] for i, c in enumerate(col) if c.endswith("▼")]
            has = self.demand[:, j] > 0
            if np.ptp(self.coverage[has, j]) > 0:
                self.assertEqual(marks, [self.worst[j]], s)
                marked += 1
            else:
                self.assertEqual(marks, [], s)
            self.assertEqual(rows[-1][j + 1], f"{100 * (self.best_v[j] - self.worst_v[j]):.1f}", s)
            for i, c in enumerate(col):
                if has[i]:
                    self.assertTrue(c.startswith(f"{100 * self.coverage[i, j]:.1f} %"), (s, c))
        self.assertGreater(marked, 0, "no service differs between districts in the test city")


class NoDistricts(unittest.TestCase):
    def test_file_without_districts(self):
        """A file without a districts group (a city generated without districts, or an older file): no
        section, and the figure listed as not shown."""
        tmp = tempfile.mkdtemp()
        try:
            src = os.path.join(tmp, "no-districts.h5")
            shutil.copyfile(Data.path("single.h5"), src)
            with h5py.File(src, "r+") as f:
                for name in f["runs"]:
                    del f["runs"][name]["districts"]
            r = tool("report.py", src, "-o", os.path.join(tmp, "rep"))
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(tmp, "rep", "index.html"), encoding="utf-8") as f:
                page = f.read()
            self.assertNotIn('<section id="districts">', page)
            self.assertIn("<b>Coverage by district</b>: needs a city of at least two districts", page)
            self.assertFalse(os.path.exists(os.path.join(tmp, "rep", "district_coverage.png")))
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
