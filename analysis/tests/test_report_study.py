#!/usr/bin/python3
"""analysis/report.py on a study file (made by make_study.py): the study figures (coverage vs
staffing with CIs, size x staffing heat map, paired differences) are written and embedded, the study
tables are right, failed runs are reported. Usage: test_report_study.py COMMSIM_BINARY [DATA_DIR]"""

import re

import h5py
import numpy as np

from common import STAFF_AXIS, Data, main
from test_report import SINGLE_FIGS, STUDY_FIGS, ReportCase, WritesFigures  # noqa: E402


class StudyReport(WritesFigures, ReportCase):
    src = "study.h5"
    # The study is made without daily records, so the daily figure is listed as not shown.
    expected = [f for f in SINGLE_FIGS if f != "daily_wait"] + STUDY_FIGS

    def test_html(self):
        page = self.check_html()
        notshown = page[page.index('id="notshown"'):]
        self.assertTrue("needs daily records" in notshown)
        self.assertFalse("needs a study" in notshown)
        # Of the study figures only the sensitivity charts (design: morris or sobol) are not shown.
        self.assertTrue("needs a sensitivity study" in notshown)
        self.assertTrue("variant 5 replicate 1 (failed)" in page)
        self.assertTrue("coverage, mean ± 95 % CI over 2 replicates" in page)
        # The community-size section: the size classes of the representative run and the response chart.
        size = page[page.index('<section id="size">'):]
        size = size[:size.index("</section>")]
        self.assertTrue("community workers per 10,000 residents" in size)
        self.assertTrue("Coverage and cost vs community size" in size)

    def test_paired_difference_values(self):
        """The paired-difference table matches a direct computation from the file."""
        page = self.html()
        with h5py.File(Data.path(self.src), "r") as f:
            svc = list(f["runs/0000/service_names"].asstr()[:])
            cov = {}
            for name, g in f["runs"].items():
                cov[(int(g.attrs["variant"]), int(g.attrs["replicate"]))] = g["citywide/services/coverage"][:]
            staff = f["study"][STAFF_AXIS][:]
        d = [100 * (cov[(1, r)] - cov[(0, r)]) for r in (0, 1)]
        mean = np.mean(d, axis=0)
        hw = 12.706 * np.std(d, axis=0, ddof=1) / np.sqrt(2)
        table = page[page.index("<h3>Paired differences"):]
        row = re.search(r"<tr><td>v1: [^<]*</td>(.*?)</tr>", table).group(1)
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for j in range(len(svc)):
            m, h = cells[j].split(" ± ") if "±" in cells[j] else (cells[j], "nan")
            self.assertAlmostEqual(float(m), mean[j], delta=0.051)
            if np.isfinite(hw[j]):
                self.assertAlmostEqual(float(h), hw[j], delta=0.051)
        self.assertEqual(staff[2], 10)


if __name__ == "__main__":
    main()
