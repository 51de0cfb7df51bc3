"""The Uncertainty section (commsim run --uncertainty): the band chart and table."""

import html

import matplotlib.pyplot as plt
import numpy as np

from .base import html_table, nice


class UncertaintySection:
    def uncertainty_tables(self, u):
        t = u["outcomes"]
        rows = []
        for i in range(len(t)):
            rows.append([nice(str(t["metric"][i])), nice(str(t["service"][i])) if t["service"][i] else "citywide",
                         str(t["unit"][i])] + [f"{float(t[k][i]):.4g}" for k in ("point", "median", "p05", "p95")])
        note = (f"{int(u.get('samples', 0))} samples of {int(u.get('parameters', 0))} parameters; the point run is "
                "variant 0 of the file, the samples variants 1.." + str(int(u.get("samples", 0))) +
                " (their values in /study/variants).")
        return (html_table(["outcome", "service", "unit", "point", "median", "5th pct", "95th pct"], rows,
                           numeric_from=3) + f'<p class="note">{html.escape(note)}</p>')

    def fig_uncertainty(self, u, title):
        t = u["outcomes"]
        metrics = [("coverage", "coverage (%)", 100.0), ("unmet_hours", "unmet service hours (thousand)", 1e-3),
                   ("mean_wait_working_min", "mean wait (working minutes)", 1.0)]
        fig, axs = plt.subplots(1, 4, figsize=(13, 0.9 + 0.38 * max(len(self.services), 3)),
                                gridspec_kw={"width_ratios": [3, 3, 3, 1.2]})
        lo_q, hi_q = float(u.get("band_low", 0.05)), float(u.get("band_high", 0.95))

        def draw(ax, rows, scale, labels):
            y = np.arange(len(rows))[::-1]
            for yy, i in zip(y, rows):
                lo, med, hi, pt = (float(t[k][i]) * scale for k in ("p05", "median", "p95", "point"))
                ax.plot([lo, hi], [yy, yy], color="#0072B2", linewidth=5, alpha=0.35, solid_capstyle="butt")
                ax.plot([med], [yy], marker="|", color="#0072B2", markersize=14, markeredgewidth=2)
                ax.plot([pt], [yy], marker="D", color="#D55E00", markersize=5, linestyle="none")
            ax.set_yticks(y)
            ax.set_yticklabels(labels)
            ax.grid(axis="x", alpha=0.3)

        for ax, (metric, label, scale) in zip(axs[:3], metrics):
            rows = [i for i in range(len(t)) if t["metric"][i] == metric]
            draw(ax, rows, scale, [nice(str(t["service"][i])) for i in rows])
            ax.set_xlabel(label)
            ax.set_title(nice(metric))
            if ax is not axs[0]:
                ax.set_yticklabels([])
        cost = [i for i in range(len(t)) if t["metric"][i] == "cost_total_yuan"]
        draw(axs[3], cost, 1e-6, ["citywide"])
        axs[3].set_xlabel("cost (million yuan)")
        axs[3].set_title("Cost")
        handles = [plt.Line2D([], [], color="#0072B2", linewidth=5, alpha=0.35,
                              label=f"{100 * (hi_q - lo_q):.0f} % band ({100 * lo_q:.0f}th–{100 * hi_q:.0f}th percentile)"),
                   plt.Line2D([], [], color="#0072B2", marker="|", markersize=12, linestyle="none", label="median"),
                   plt.Line2D([], [], color="#D55E00", marker="D", markersize=5, linestyle="none", label="point run")]
        fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, -0.02))
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        cap = (f"Each headline outcome of the point run (the scenario as given, diamond) against its spread over "
               f"{int(u.get('samples', 0))} parameter sets drawn from the parameter registry's ranges "
               f"({int(u.get('parameters', 0))} non-lever parameters, Latin hypercube, seed {u.get('seed')}; every "
               "sample on the point run's random streams): median (bar) and band from the "
               f"{100 * lo_q:.0f}th to the {100 * hi_q:.0f}th percentile. Levers (staffing ratios, norms, facilities) "
               "keep the scenario's values")
        self.save(fig, "uncertainty_bands", "Uncertainty", title, self.caption(cap, run=False))
