"""The Summary section: the run's facts and the citywide metrics per service."""

import html

import numpy as np

from commsim_h5 import mean_ci
from .base import nice, fmt_minutes, fmt_num, pct, html_table


class SummarySection:
    def summary_table(self):
        cw = self.rep.citywide_services()
        nrep = int((self.ok["variant"] == self.base_v).sum())
        cols = ["service", "kind", "demand (requests)", "served in time (requests)", "coverage",
                "coverage, resident-weighted", "communities below target", "worst-decile coverage",
                "Gini of coverage", "unmet (hours)", "mean wait (working min)", "p90 wait (working min)",
                "clock wait of served, mean / p90", "backlog at end (requests)"]
        if nrep > 1:
            cols.insert(5, f"coverage, mean ± 95 % CI over {nrep} replicates")
        rows = []
        bmask = self.ok["variant"] == self.base_v
        tail = []
        for i, s in enumerate(cw["name"]):
            j = self.services.index(s)
            enr = cw["kind"][i] == "enrolment"
            mean_w, p90_w = working_waits(cw, i)
            mark = ""
            if not enr and np.isfinite(mean_w) and mean_w > p90_w:
                mark = " †"
                tail.append(nice(s))
            r = [nice(s), cw["kind"][i], fmt_num(float(cw["demand"][i])), fmt_num(float(cw["served_in_time"][i])),
                 pct(cw["coverage"][i]), pct(cw["coverage_resident_weighted"][i]),
                 pct(cw["share_communities_below_target"][i], 0), pct(cw["worst_decile_coverage"][i]),
                 f"{cw['gini'][i]:.3f}", unmet_hours(cw, i),
                 "–" if enr else fmt_num(mean_w, 1) + mark, "–" if enr else fmt_num(p90_w, 1),
                 "–" if enr else f"{fmt_minutes(cw['mean_wait_min'][i])} / {fmt_minutes(cw['p90_wait_min'][i])}",
                 fmt_num(float(cw["backlog_end"][i]))]
            if nrep > 1:
                mu, hw, _ = mean_ci(self.cov[bmask, j])
                r.insert(5, f"{100 * mu:.1f} ± {100 * hw:.1f} %")
            rows.append(r)
        note = (f"Citywide metrics of {html.escape(self.rep_desc)}. Coverage = served in time ÷ demand "
                f"(enrolment services: enrolled ÷ wanting person-days); target {100 * self.target:.0f} %. "
                "Unmet = service hours of the requests dropped at the deadline or still waiting at the end (as "
                "the command line's summary). Waits in working minutes (the serving role's shift minutes on "
                "working days, as the command line prints them) count every request: served (to the start of "
                "service), expired (to the deadline) and still waiting at the end of the run (to the end); the "
                "clock waits count served requests only, in minutes (min), hours (h) or days (d).")
        if tail:
            note += (f" † Mean above the 90th percentile ({html.escape(', '.join(tail))}): a heavy tail. Fewer "
                     "than one request in ten waits longer than the 90th percentile, but those few wait long enough "
                     "to lift the mean above it; the longest are the censored waits of requests that expired or "
                     "were still waiting at the end, counted to the deadline or to the end of the run.")
        return html_table(cols, rows, numeric_from=2) + f'<p class="note">{note}</p>'

    def facts_table(self):
        run = self.rep
        cm = run.communities()
        days = max(run.days, 1)
        rows = [
            ["communities", fmt_num(len(cm))],
            ["households", fmt_num(float(run.attr("households", cm["households"].sum())))],
            ["residents", fmt_num(float(run.attr("residents", cm["residents"].sum())))],
            ["simulated days", fmt_num(days)],
            ["requests generated (queue services)", fmt_num(float(run.attr("requests", 0)))],
            ["households within 15 minutes of their facility (N1.5)", pct(float(run.attr("access_share", np.nan)))],
            ["total cost over the run (yuan)", fmt_num(float(run.attr("cost_total_yuan", np.nan)))],
            ["cost per resident over the run (yuan)", fmt_num(float(run.attr("cost_per_resident_yuan", np.nan)), 1)],
            ["cost per resident per year (yuan, annualised)",
             fmt_num(float(run.attr("cost_per_resident_yuan", np.nan)) * 365 / days, 1)],
            ["cost per served request (yuan)", fmt_num(float(run.attr("cost_per_served_yuan", np.nan)), 2)],
        ]
        # Issue 24: facilities short of the norm's area, and the capital that brings them up to it.
        if run.attr("facility_shortfall_m2", None) is not None:
            rows += [
                ["facility area short of the norm (m², N2.1/N2.3)", fmt_num(float(run.attr("facility_shortfall_m2")))],
                ["capital to bring every facility up to the norm (yuan)",
                 fmt_num(float(run.attr("cost_facility_upgrade_yuan", np.nan)))],
            ]
        return html_table(["fact", "value"], rows, numeric_from=1, cls="facts")


def unmet_hours(cw, i):
    """Unmet service hours of service row i, formatted (– in files without unmet_hours)."""
    if "unmet_hours" in cw:
        return fmt_num(float(cw["unmet_hours"][i]))
    return "–"


def working_waits(cw, i):
    """Mean and 90th-percentile wait in working minutes of service row i (NaN in files without them)."""
    if "mean_wait_working_min" not in cw:
        return float("nan"), float("nan")
    return float(cw["mean_wait_working_min"][i]), float(cw["p90_wait_working_min"][i])
