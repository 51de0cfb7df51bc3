#!/usr/bin/python3
"""analysis/report.py on a `commsim curve` file and a `commsim headroom` file: the response-curve
and headroom figures are written and embedded, and the marginal-analysis and headroom tables show
what the files hold. Usage: test_report_curve.py COMMSIM_BINARY [DATA_DIR]"""

import re

import h5py
import numpy as np

from common import STAFF_AXIS, Data, main
from test_report import SINGLE_FIGS, ReportCase, WritesFigures  # noqa: E402

NO_DAILY = [f for f in SINGLE_FIGS if f != "daily_wait"]


class CurveReport(WritesFigures, ReportCase):
    src = "curve.h5"
    # A curve of a staffing key is also a study with a staffing axis and several variants.
    expected = NO_DAILY + ["coverage_vs_staffing", "paired_differences", "response_curve"]

    def test_marginal_table(self):
        page = self.check_html()
        self.assertIn('id="curve"', page)
        self.assertNotIn("needs a response-curve file", page)
        with h5py.File(Data.path(self.src), "r") as f:
            self.assertEqual(f["curve"].attrs["key"], STAFF_AXIS)
            staff = f["curve/marginal/staff_added"][:]
            frm, to = f["curve/marginal/from_value"][:], f["curve/marginal/to_value"][:]
        section = page[page.index('id="curve"'):]
        rows = re.findall(r"<tr><td>([0-9.]+) → ([0-9.]+)[^<]*</td><td class=\"num\">([0-9.,]+)</td>", section)
        self.assertEqual(len(rows), len(staff))
        for (a, b, s), fa, tb, st in zip(rows, frm, to, staff):
            self.assertEqual((float(a), float(b)), (fa, tb))
            self.assertAlmostEqual(float(s.replace(",", "")), st, delta=0.051)
        self.assertTrue("bend" in section)


class HeadroomReport(WritesFigures, ReportCase):
    src = "headroom.h5"
    expected = NO_DAILY + ["paired_differences", "headroom"]

    def test_headroom_text(self):
        page = self.check_html()
        section = page[page.index('id="headroom"'):]
        with h5py.File(Data.path(self.src), "r") as f:
            g = f["headroom"]
            status = g.attrs["status"]
            multipliers = g["evaluations/multiplier"][:]
            if status == "found":
                self.assertIn(f"x{g.attrs['multiplier']:g}", section)
                self.assertIn(str(g.attrs["fails_first"]).replace("_", " "), section)
        self.assertEqual(multipliers[0], 1.0)
        cells = re.findall(r"<tr><td>([0-9.e+-]+)</td><td class=\"num\">(yes|no)</td>", section)
        self.assertEqual([float(c[0]) for c in cells], list(multipliers))
        self.assertTrue(np.all(np.diff(sorted(multipliers)) > 0))  # no multiplier evaluated twice


if __name__ == "__main__":
    main()
