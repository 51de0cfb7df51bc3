"""The Response curve section (commsim curve): outcomes per point and the marginal table."""

import html

import matplotlib.pyplot as plt
import numpy as np

from .base import style, nice, fmt_num, axis_label, html_table


class CurveSection:
    def curve_tables(self, c):
        m = c["marginal"]
        cols = ["step", "staff added", "unmet hours avoided per year", "coverage (pp)", "cost added (yuan per year)",
                "unmet hours avoided per worker", "ratio to previous step", "yuan per coverage point",
                "yuan per unmet hour avoided"]
        rows = []
        for i in range(len(m)):
            rows.append([f"{m['from_value'][i]:g} → {m['to_value'][i]:g}" + (" (bend)" if m["bend"][i] else ""),
                         fmt_num(float(m["staff_added"][i]), 1),
                         f"{m['unmet_hours_avoided'][i]:,.0f} ± {m['unmet_hours_avoided_half_width'][i]:,.0f}",
                         f"{m['coverage_points'][i]:+.2f} ± {m['coverage_points_half_width'][i]:.2f}",
                         f"{m['cost_added_yuan'][i]:,.0f}", fmt_num(float(m["unmet_hours_avoided_per_worker"][i]), 1),
                         fmt_num(float(m["ratio_to_previous"][i]), 2),
                         fmt_num(float(m["cost_per_coverage_point_yuan"][i])),
                         fmt_num(float(m["cost_per_unmet_hour_avoided_yuan"][i]))])
        bend = c["bend_step"]
        note = (f"Paired differences between adjacent points of {html.escape(str(c['key']))} (± {100 * c['confidence']:.0f} % "
                "Student-t half-width over replicates); coverage over the episodic and recurring services. "
                + (f"The staffing response bends at step {bend}: a worker added there buys less than "
                   f"{100 * c['bend_ratio']:.0f} % of what one added in the step before did."
                   if bend >= 0 else "No step buys less than half of what the step before it bought."))
        return html_table(cols, rows, numeric_from=1) + f'<p class="note">{note}</p>'

    def fig_response_curve(self, c, title):
        x, names = c["points"], c["outcomes"]

        def band(ax, name, scale=1.0, i=0, label=None):
            k = names.index(name)
            m, hw = c["mean"][k] * scale, np.nan_to_num(c["half_width"][k]) * scale
            st = style(i)
            ax.plot(x, m, label=label, markersize=4, markerfacecolor="white", **st)
            ax.fill_between(x, m - hw, m + hw, color=st["color"], alpha=0.15, linewidth=0)

        fig, axs = plt.subplots(2, 2, figsize=(9.5, 6.6))
        xlabel = axis_label(c["key"])
        band(axs[0, 0], "citywide.unmet_hours_per_year", 1e-3)
        axs[0, 0].set_ylabel("unmet service hours (thousand per year)")
        axs[0, 0].set_title("Unmet need, all services")
        for i, s in enumerate(self.services):
            if f"services.{s}.coverage" in names:
                band(axs[0, 1], f"services.{s}.coverage", 100.0, i, nice(s))
        axs[0, 1].axhline(100 * self.target, color="black", linewidth=0.9, linestyle=":")
        axs[0, 1].set_ylabel("coverage (%)")
        axs[0, 1].set_title(f"Coverage per service (target {100 * self.target:.0f} % dotted)")
        axs[0, 1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        band(axs[1, 0], "cost.annual_yuan", 1e-6)
        axs[1, 0].set_ylabel("cost (million yuan per year)")
        axs[1, 0].set_title("Pay + operating funds + facility capital")
        m = c["marginal"]
        if len(m):
            mids = (m["from_value"] + m["to_value"]) / 2
            width = 0.6 * (x[1] - x[0]) if len(x) > 1 else 1.0
            per = np.asarray(m["unmet_hours_avoided_per_worker"], dtype=float)
            bars = axs[1, 1].bar(mids, np.nan_to_num(per), width, color="#56B4E9", edgecolor="black", linewidth=0.6,
                                 hatch="//")
            for b, bend in zip(bars, m["bend"]):
                if bend:
                    b.set_hatch("xx")
                    b.set_facecolor("#D55E00")
            axs[1, 1].axhline(0, color="black", linewidth=0.8)
        axs[1, 1].set_ylabel("unmet h avoided per added worker (per year)")
        bend = c["bend_step"]
        axs[1, 1].set_title("Marginal gain per worker" + (f"; bend at step {bend} (cross-hatched)" if bend >= 0
                                                          else "; no bend"))
        for ax in axs.flat:
            ax.set_xlabel(xlabel)
        fig.tight_layout()
        cap = (f"Outcomes against {html.escape(c['key'])} (points {', '.join(f'{v:g}' for v in x)}), mean over "
               f"{c['replicates']} replicates with {100 * c['confidence']:.0f} % Student-t bands; every point uses "
               "the same random streams (paired). Bottom right: unmet service hours avoided per year per added "
               "worker between adjacent points; the bend is the first step where a worker buys less than "
               f"{100 * c['bend_ratio']:.0f} % of what a worker of the previous step did. Costs and unmet hours are "
               "annualised")
        self.save(fig, "response_curve", "Response curve", title, self.caption(cap, run=False))
