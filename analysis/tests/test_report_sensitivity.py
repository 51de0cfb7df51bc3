#!/usr/bin/python3
"""analysis/report.py on sensitivity studies (tests/data/study-morris.yaml and study-sobol.yaml, run by
commsim study): one tornado chart (Morris mu* with sigma) or one Sobol bar chart per outcome is written
and embedded, the grid-study figures are listed as not shown, and the ranking tables carry the
indices, ranks and below-the-noise marks of the file's /sensitivity group.
Usage: test_report_sensitivity.py COMMSIM_BINARY [DATA_DIR]"""

import html
import re

import h5py
import numpy as np

from common import Data, main
from test_report import SINGLE_FIGS, ReportCase, WritesFigures

BASE_FIGS = [f for f in SINGLE_FIGS if f != "daily_wait"]  # the studies keep no daily records


def table_rows(page, heading):
    """The rows (lists of cell texts) of the table after <h3>heading."""
    start = page.index(f"<h3>{html.escape(heading)}")
    table = page[start:page.index("</table>", start)]
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table) if "<td" in row]


class SensitivityChecks(WritesFigures):
    """Mixed into a ReportCase of a sensitivity study: figures, page and ranking tables."""
    key, flag = None, None  # the ranking column and its below-the-noise flag
    heading = None          # a heading the page must show

    def test_html(self):
        page = self.check_html()
        self.assertIn(self.heading, page)
        if self.method == "morris":
            self.assertIn("stochastic share of one run", page)
        self.check_not_shown()

    def test_tables(self):
        self.check_tables()

    def check_tables(self):
        """Each metric's table: per parameter and outcome, 'rank: value[ *]' as in the file."""
        page = self.html()
        with h5py.File(Data.path(self.src), "r") as f:
            g = f["sensitivity"]
            params = list(g["parameter_names"].asstr()[:])
            metrics = list(g["outcomes/metric"].asstr()[:])
            units = list(g["outcomes/unit"].asstr()[:])
            k = len(params)
            value = g[f"{self.method}/{self.key}"][:].reshape(-1, k)
            below = g[f"{self.method}/{self.flag}"][:].reshape(-1, k)
        checked = 0
        for metric in dict.fromkeys(metrics):
            outcomes = [o for o, m in enumerate(metrics) if m == metric]
            rows = table_rows(page, f"{metric.replace('_', ' ')} ({units[outcomes[0]]})")
            # Uncertain parameters first, then the levers (marked), each name with its range's mark.
            names = [re.sub(r" \(lever\)| \[[^]]*\]", "", r[0]) for r in rows[:k]]
            self.assertEqual(sorted(names), sorted(params))
            levers = [n for n, r in zip(names, rows[:k]) if "(lever)" in r[0]]
            self.assertEqual(names[len(names) - len(levers):], levers)
            by_name = dict(zip(names, rows[:k]))
            for col, o in enumerate(outcomes):
                order = sorted(range(k), key=lambda p: -(value[o, p] if np.isfinite(value[o, p]) else -np.inf))
                for p in range(k):
                    cell = by_name[params[p]][1 + col]
                    if not np.isfinite(value[o, p]):
                        self.assertEqual(cell, "–")
                        continue
                    expected = f"{order.index(p) + 1}: {value[o, p]:.3g}" + (" *" if below[o, p] else "")
                    self.assertEqual(cell, expected, (metric, o, params[p]))
                    checked += 1
        self.assertGreater(checked, 10)

    def check_not_shown(self):
        page = self.html()
        notshown = page[page.index('id="notshown"'):]
        for title in ("Coverage vs staffing ratio", "Paired differences to the base variant"):
            self.assertIn(title, notshown)
        self.assertIn("its variants are design points", notshown)
        self.assertNotIn("Sensitivity indices</b>", notshown)


class MorrisReport(SensitivityChecks, ReportCase):
    src, method, key, flag = "morris.h5", "morris", "mu_star", "below_noise"
    heading = "Morris μ* and σ of unmet hours"
    expected = BASE_FIGS + ["sensitivity_coverage", "sensitivity_unmet_hours", "sensitivity_cost_total_yuan"]


class SobolReport(SensitivityChecks, ReportCase):
    src, method, key, flag = "sobol.h5", "sobol", "total", "total_below_noise"
    heading = "Sobol indices of coverage"
    expected = BASE_FIGS + ["sensitivity_coverage", "sensitivity_mean_wait_min", "sensitivity_cost_per_resident_yuan"]


if __name__ == "__main__":
    main()
