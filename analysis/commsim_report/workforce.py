"""The Workforce section: worker time per role, the WISN table, the time split."""

import html

import matplotlib.pyplot as plt
import numpy as np

from .base import HATCHES, nice, fmt_num, pct, html_table


class WorkforceSection:
    def fig_worker_time(self):
        title = "Worker time split per role"
        t = {k: self.rep.totals(k).sum(axis=0) for k in
             ("available_min", "busy_min", "travel_min", "overhead_min", "overtime_min", "reserved_min")
             if k in self.rep.group["totals"]}
        R = len(self.roles)
        zero = np.zeros(R)
        avail = t.get("available_min", zero)
        busy = t.get("busy_min", zero)
        travel = t.get("travel_min", zero)
        overhead = t.get("overhead_min", zero)
        overtime = t.get("overtime_min", zero)
        reserved = t.get("reserved_min", zero)
        total = avail + overtime
        service = np.maximum(busy - travel, 0)
        idle = np.maximum(total - busy - overhead - reserved, 0)
        parts = [("serving (face to face)", service), ("travel", travel),
                 ("reserved for enrolment (staff ratio)", reserved), ("overhead (meetings, reporting)", overhead),
                 ("idle", idle)]
        parts = [(n, v) for n, v in parts if n != "reserved for enrolment (staff ratio)" or v.sum() > 0]
        denom = np.where(total > 0, total, 1)
        fig, ax = plt.subplots(figsize=(7.5, 0.55 * R + 1.9))
        left = np.zeros(R)
        ys = np.arange(R)
        fills = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#F2F2F2"]
        for k, (name, v) in enumerate(parts):
            share = 100 * v / denom
            ax.barh(ys, share, left=left, color=fills[k % len(fills)], hatch=HATCHES[k % len(HATCHES)],
                    edgecolor="black", linewidth=0.6, label=name)
            for yy, l, sh in zip(ys, left, share):
                if sh >= 5:
                    ax.text(l + sh / 2, yy, f"{sh:.0f}", ha="center", va="center", fontsize=7,
                            bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8))
            left += share
        labels = []
        # Citywide staff counts committee members who serve in the role (the roles table agrees).
        cr = self.rep.citywide_roles()
        by_name = dict(zip(cr["name"], cr["staff"]))
        staff = [by_name.get(r, v) for r, v in zip(self.roles, self.rep.staff().sum(axis=0))]
        for r, name in enumerate(self.roles):
            ot = 100 * overtime[r] / denom[r]
            labels.append(f"{nice(name)}\n{int(staff[r])} staff" + (f", overtime {ot:.0f} %" if ot >= 0.5 else ""))
        ax.set_yticks(ys, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of worker time on shift incl. overtime (%)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.55 / (0.55 * R + 1.9) - 0.06), ncol=3,
                  frameon=False)
        ax.set_title("How each role spends its time (all communities)")
        ax.grid(axis="y", visible=False)
        cap = ("Worker minutes per role summed over communities and the run, as a share of minutes on shift "
               "plus overtime: serving = busy − travel; idle = the rest. Numbers in the bars are percent")
        self.save(fig, "worker_time", "Workforce", title, self.caption(cap))

    def roles_table(self):
        cr = self.rep.citywide_roles()
        cols = ["role", "staff in post (incl. committee)", "full-time equivalents", "utilisation",
                "overtime (h per FTE a year)", "available time (h a year)", "overhead share", "travel share",
                "required staff (WISN)", "WISN pressure (1)", "pay over the run (yuan)"]
        rows = []

        def col(k, i, f):
            return f(cr[k][i]) if k in cr.columns else "–"

        for i, r in enumerate(cr["name"]):
            rows.append([nice(r), fmt_num(float(cr["staff"][i])), col("staff_fte", i, lambda v: f"{float(v):,.1f}"),
                         pct(cr["utilisation"][i]), col("overtime_hours_per_worker", i, lambda v: f"{float(v):.1f}"),
                         col("available_hours_per_worker", i, lambda v: f"{float(v):,.0f}"),
                         pct(cr["overhead_share"][i]), pct(cr["travel_share"][i]),
                         col("required_staff", i, lambda v: f"{float(v):,.1f}"),
                         f"{cr['wisn_pressure'][i]:.2f}", fmt_num(float(cr["pay_yuan"][i]))])
        return (html_table(cols, rows, numeric_from=1) +
                '<p class="note">Utilisation = busy ÷ (available − overhead − reserved). WHO WISN: available '
                'time = working days less public holidays, leave, sickness and training, times the hours of a '
                'day; required staff = the workload a year (every activity, unmet work included) ÷ available '
                'time; pressure = required ÷ full-time equivalents in post (committee members at their serving '
                'share; above 1: understaffed). docs/workforce.md.</p>' + self.time_split_table())

    # Surveys of community workers' time: the only figure found is a share of tasks, not of hours
    # (CALIBRATION-TARGETS.md S39; WORKFORCE.md: no reliable share of time on upper-level work).
    SURVEY_SUPPORT_SHARE = (0.22, 0.27, "S39: task log of two Hubei communities (2003), “other administrative” "
                            "22–27 % of ~1,850–1,890 tasks a year — a share of tasks, not of hours")

    def time_split_table(self):
        act = self.rep.citywide_activities()
        if act is None or not len(act):
            return ""
        role = "community_worker"
        rows, support = [], 0.0
        for i in range(len(act)):
            if str(act["role"][i]) != role:
                continue
            share = float(act["share"][i])
            if str(act["kind"][i]) == "support":
                support += share
            rows.append([nice(str(act["activity"][i])), str(act["kind"][i]), f"{float(act['hours_per_year'][i]):,.0f}",
                         pct(share)])
        if not rows:
            return ""
        lo, hi, what = self.SURVEY_SUPPORT_SHARE
        gap = support - hi if support > hi else (support - lo if support < lo else 0.0)
        verdict = ("within the surveyed range" if gap == 0 else
                   f"{abs(gap) * 100:.1f} points {'above' if gap > 0 else 'below'} the surveyed range")
        return ('<h3>How community workers spend their time (modelled, WISN activities)</h3>' +
                html_table(["activity", "kind", "hours a year", "share of the workload"], rows, numeric_from=2) +
                f'<p class="note">Modelled support work (administration no resident asks for: ledgers, reporting, '
                f'tasks from above, meetings, community activities) is {pct(support)} of the community workers\' '
                f'workload; survey: {html.escape(what)}. The model is {verdict}. The support activities\' time '
                f'standards are assumptions with ranges (docs/workforce.md), not fitted to this figure.</p>')
