"""The Sensitivity section (design: morris or sobol): tornado charts, Sobol bars, ranking tables."""

import html
import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .base import COLOURS, nice, pct, parameter_labels, html_table


class SensitivitySection:
    def sens_groups(self):
        """The outcomes grouped by metric: [(metric, unit, [(outcome index, service or '')])] in file order."""
        t = self.sens["outcomes"]
        groups = []
        for o, (metric, service) in enumerate(zip(t["metric"], t["service"])):
            if not groups or groups[-1][0] != metric:
                groups.append((str(metric), str(t["unit"][o]), []))
            groups[-1][2].append((o, str(service)))
        return groups

    def sens_label(self, p):
        return parameter_labels(self.sens["parameters"])[p]

    def fig_sensitivity(self):
        title = "Sensitivity indices"
        if self.sens is None:
            self.skip(title, "needs a sensitivity study (design: morris or sobol; docs/sensitivity.md)")
            return
        morris = self.sens["method"] == "morris"
        for metric, unit, entries in self.sens_groups():
            n = len(entries)
            ncol = 2 if n > 1 else 1
            nrow = math.ceil(n / ncol)
            k = len(self.sens["parameters"])
            fig, axs = plt.subplots(nrow, ncol, figsize=(5.2 * ncol + 0.6, max(2.8, (0.22 * k + 0.9) * nrow + 0.8)),
                                    squeeze=False, constrained_layout=True)
            for e, (o, service) in enumerate(entries):
                ax = axs[e // ncol][e % ncol]
                (self._tornado if morris else self._sobol_bars)(ax, o)
                ax.set_title(nice(service) if service else "citywide", fontsize=9)
            for e in range(n, nrow * ncol):
                axs[e // ncol][e % ncol].axis("off")
            # The legend goes into a spare panel if there is one, else beside the bars of the first.
            if n < nrow * ncol:
                axs[-1][-1].legend(handles=self._sens_legend(morris), loc="center", fontsize=8, frameon=False)
            else:
                axs[0][0].legend(handles=self._sens_legend(morris), loc="best", fontsize=7, framealpha=0.9)
            what = "Morris μ* and σ" if morris else "Sobol indices"
            fig.suptitle(f"{what} of {nice(metric)} ({unit})", fontsize=10)
            facts = self.sens["facts"]
            if morris:
                cap = (f"Tornado chart of the Morris screening of {nice(metric)} ({unit}), per service: bar = μ*, the "
                       f"mean absolute elementary effect (outcome units per whole range of the parameter), with its "
                       f"{100 * facts['confidence']:.0f} % bootstrap interval; ◇ = σ, the spread of the elementary "
                       f"effects (large against μ*: interactions or curvature). Parameters sorted by μ*; hatched "
                       f"bars: the interval reaches down to the noise level (dotted line, the μ* of an input that "
                       f"only redraws the run's noise). {facts['trajectories']} trajectories × "
                       f"{facts['parameters'] + 1} points × {facts['replicates']} replicates")
            else:
                cap = (f"Sobol indices of {nice(metric)} ({unit}), per service: total index S_T (upper bar of each "
                       f"pair) and first-order index S (lower bar) with their {100 * facts['confidence']:.0f} % "
                       f"bootstrap intervals; hatched: the interval reaches down to the noise level (dotted line). "
                       f"Parameters sorted by S_T. N = {facts['base_samples']} base samples, "
                       f"{facts['points']} points × {facts['replicates']} replicates")
            self.save(fig, f"sensitivity_{metric}", "Sensitivity", f"{what} of {nice(metric)}",
                      self.caption(cap, run=False))

    def _sens_legend(self, morris):
        if morris:
            return [Patch(facecolor=COLOURS[0], label="μ* (bootstrap interval)"),
                    Patch(facecolor="white", edgecolor=COLOURS[0], hatch="///", label="μ* below the noise"),
                    Line2D([], [], color="black", marker="D", markerfacecolor="white", linestyle="", label="σ"),
                    Line2D([], [], color="black", linestyle=":", label="noise level")]
        return [Patch(facecolor=COLOURS[0], label="total S_T"), Patch(facecolor=COLOURS[4], label="first-order S"),
                Patch(facecolor="white", edgecolor="black", hatch="///", label="below the noise"),
                Line2D([], [], color="black", linestyle=":", label="noise level")]

    def _sens_order(self, o, key):
        k = len(self.sens["parameters"])
        v = np.asarray(self.sens["indices"][key]).reshape(-1, k)[o]
        return sorted(range(k), key=lambda p: -(v[p] if np.isfinite(v[p]) else -np.inf)), v

    def _tornado(self, ax, o):
        ind = self.sens["indices"]
        k = len(self.sens["parameters"])
        order, mu_star = self._sens_order(o, "mu_star")
        lo, hi = (np.asarray(ind[c]).reshape(-1, k)[o] for c in ("mu_star_lo", "mu_star_hi"))
        sigma = np.asarray(ind["sigma"]).reshape(-1, k)[o]
        below = np.asarray(ind["below_noise"]).reshape(-1, k)[o].astype(bool)
        ys = np.arange(k)
        vals = np.array([mu_star[p] for p in order])
        for y, p in zip(ys, order):
            ax.barh(y, np.nan_to_num(mu_star[p]), color="white" if below[p] else COLOURS[0], edgecolor=COLOURS[0],
                    hatch="///" if below[p] else None, linewidth=0.8)
        err = np.array([[max(0.0, mu_star[p] - lo[p]) for p in order], [max(0.0, hi[p] - mu_star[p]) for p in order]])
        ax.errorbar(np.nan_to_num(vals), ys, xerr=np.nan_to_num(err), fmt="none", ecolor="black", elinewidth=0.9,
                    capsize=2)
        ax.plot([sigma[p] for p in order], ys, "D", color="black", markerfacecolor="white", markersize=4)
        level = self.sens["outcomes"]["mu_star_noise_level"][o]
        if np.isfinite(level) and level > 0:
            ax.axvline(level, color="black", linestyle=":", linewidth=1)
        if not np.any(np.nan_to_num(vals) > 0):
            ax.text(0.5, 0.5, "μ* = 0 for every parameter: no parameter moves it", transform=ax.transAxes,
                    ha="center", va="center", fontsize=8, color=COLOURS[6])
        ax.set_yticks(ys, [self.sens_label(p) for p in order], fontsize=7.5)
        ax.invert_yaxis()
        ax.set_xlim(left=0)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"μ*, σ ({self.sens['outcomes']['unit'][o]} per range)", fontsize=8)

    def _sobol_bars(self, ax, o):
        ind = self.sens["indices"]
        k = len(self.sens["parameters"])
        order, total = self._sens_order(o, "total")
        col = {c: np.asarray(ind[c]).reshape(-1, k)[o] for c in ind}
        ys = np.arange(k)
        for key, off, colour, flag in (("total", -0.2, COLOURS[0], "total_below_noise"),
                                       ("first", 0.2, COLOURS[4], "first_below_noise")):
            v = np.array([col[key][p] for p in order])
            below = [bool(col[flag][p]) for p in order]
            lo = np.array([col[key + "_lo"][p] for p in order])
            hi = np.array([col[key + "_hi"][p] for p in order])
            for y, x, b in zip(ys, v, below):
                ax.barh(y + off, np.nan_to_num(x), height=0.4, color="white" if b else colour, edgecolor=colour,
                        hatch="///" if b else None, linewidth=0.8)
            err = np.array([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])
            ax.errorbar(np.nan_to_num(v), ys + off, xerr=np.nan_to_num(err), fmt="none", ecolor="black",
                        elinewidth=0.9, capsize=2)
        level = self.sens["outcomes"]["index_noise_level"][o]
        if np.isfinite(level) and level > 0:
            ax.axvline(level, color="black", linestyle=":", linewidth=1)
        ax.axvline(0, color="black", linewidth=0.6)
        if not np.any(np.isfinite(total)) or not np.any(np.nan_to_num(total) != 0):
            text = ("the outcome does not vary (V = 0): no indices" if not np.any(np.isfinite(total)) else
                    "S_T = 0 for every parameter: only the noise moves it")
            ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=8, color=COLOURS[6])
        ax.set_yticks(ys, [self.sens_label(p) for p in order], fontsize=7.5)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("share of the outcome's variance", fontsize=8)

    def sensitivity_tables(self):
        """Per metric: parameters (rows) by service (columns), each cell the rank and the index."""
        morris = self.sens["method"] == "morris"
        key = "mu_star" if morris else "total"
        flag = "below_noise" if morris else "total_below_noise"
        ind = self.sens["indices"]
        k = len(self.sens["parameters"])
        value = np.asarray(ind[key]).reshape(-1, k)
        below = np.asarray(ind[flag]).reshape(-1, k).astype(bool)
        t = self.sens["outcomes"]
        out = []
        for metric, unit, entries in self.sens_groups():
            cols = ["parameter"] + [nice(s) if s else "citywide" for _, s in entries]
            lever = np.asarray(self.sens.get("ranges", {}).get("lever", np.zeros(k))).astype(bool)
            origin = [str(x) for x in self.sens.get("ranges", {}).get("range_origin", [""] * k)]
            rows = [[self.sens["parameters"][p] + (" (lever)" if lever[p] else "") +
                     (f" [{origin[p]}]" if origin[p] and origin[p] != "registry" else "")] for p in range(k)]
            for o, _ in entries:
                order, _ = self._sens_order(o, key)
                rank = {p: r + 1 for r, p in enumerate(order)}
                for p in range(k):
                    v = value[o, p]
                    rows[p].append("–" if not np.isfinite(v) else
                                   f"{rank[p]}: {v:.3g}" + (" *" if below[o, p] else ""))
            # Levers (the planner's choice) apart from the uncertain parameters: listed after them.
            rows = [rows[p] for p in range(k) if not lever[p]] + [rows[p] for p in range(k) if lever[p]]
            noise = ["stochastic share of one run's variance"] + [
                pct(t["stochastic_share"][o], 0) for o, _ in entries]
            out.append(f"<h3>{html.escape(nice(metric))} ({html.escape(unit)})</h3>" +
                       html_table(cols, rows + [noise], numeric_from=1))
        what = ("μ*, the mean absolute elementary effect in outcome units per whole range of the parameter"
                if morris else "the total Sobol index S_T")
        facts = self.sens["facts"]
        note = (f"Rank (1 = most influential) and {what}, per outcome; * = its {100 * facts['confidence']:.0f} % "
                f"interval reaches down to the noise level (cannot be told from the run's noise). The last row is "
                f"the share of one run's variance that is noise (two-way analysis of variance over the "
                f"{facts['replicates']} replicates; – with one replicate). Parameters: the study's axes, the uncertain "
                f"parameters first, then the levers (marked: the planner's choice, not an uncertainty); a range "
                f"that is not the parameter registry's says where it comes from in brackets; docs/sensitivity.md "
                f"says how to read the indices.")
        head = (f"<p>{'Morris screening' if morris else 'Sobol indices (Saltelli scheme)'} of "
                f"{facts['parameters']} parameters: {facts['points']} design points × {facts['replicates']} "
                f"replicates. The per-variant tables of a grid study are not shown: every variant is a design "
                f"point.</p>")
        return head + "".join(out) + f'<p class="note">{html.escape(note)}</p>'
