#!/usr/bin/python3
"""analysis/report.py on a `commsim run --uncertainty N` file: the band chart is written and
embedded, and the bands table shows the file's /uncertainty numbers; the reader returns them.
Usage: test_report_uncertainty.py COMMSIM_BINARY [DATA_DIR]"""

import re

import h5py
import numpy as np

from common import UNCERTAINTY, Data, main
from commsim_h5 import open_output
from test_report import SINGLE_FIGS, ReportCase, WritesFigures  # noqa: E402

NO_DAILY = [f for f in SINGLE_FIGS if f != "daily_wait"]


class UncertaintyReport(WritesFigures, ReportCase):
    src = "uncertainty.h5"
    # The file is a study of variants (the point run and the samples), but the paired differences to
    # the point run are not drawn: the band chart summarises the samples.
    expected = NO_DAILY + ["uncertainty_bands"]

    def test_reader(self):
        with open_output(Data.path(self.src)) as o:
            u = o.uncertainty()
        samples = int(UNCERTAINTY[1])
        self.assertEqual(int(u["samples"]), samples)
        t = u["outcomes"]
        metrics = set(str(m) for m in t["metric"])
        self.assertEqual(metrics, {"coverage", "unmet_hours", "mean_wait_working_min", "cost_total_yuan"})
        p05, med, p95 = (np.asarray(t[k], dtype=float) for k in ("p05", "median", "p95"))
        self.assertTrue(np.all(p05 <= med) and np.all(med <= p95))
        self.assertEqual(len(u["parameter_table"]), int(u["parameters"]))
        self.assertGreater(int(u["parameters"]), 10)
        keys = [str(k) for k in u["parameter_table"]["key"]]
        self.assertNotIn("staffing.rules.community_worker.per_10k", keys)  # a lever: held
        with open_output(Data.path(self.src)) as o:
            self.assertEqual(len(o.variant_names()), samples + 1)  # the point run and the samples

    def test_bands_table(self):
        page = self.check_html()
        self.assertIn('id="uncertainty"', page)
        self.assertNotIn("needs an uncertainty file", page)
        section = page[page.index('id="uncertainty"'):]
        with h5py.File(Data.path(self.src), "r") as f:
            medians = f["uncertainty/outcomes/median"][:]
            metric = [m.decode() if isinstance(m, bytes) else str(m) for m in f["uncertainty/outcomes/metric"][:]]
        rows = re.findall(r"<tr><td>([a-z ]+)</td><td[^>]*>([a-z ]+)</td><td[^>]*>[^<]*</td>"
                          r"<td class=\"num\">([^<]+)</td><td class=\"num\">([^<]+)</td>", section)
        self.assertEqual(len(rows), len(medians))
        for (name, _, _, med), m, want in zip(rows, metric, medians):
            self.assertEqual(name, m.replace("_", " "))
            self.assertAlmostEqual(float(med), want, delta=abs(want) * 1e-3 + 1e-9)


if __name__ == "__main__":
    main()
