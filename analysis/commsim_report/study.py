"""The Study section of a grid study: coverage vs staffing, the heat map, paired
differences and the per-variant tables."""

import html
import math

import matplotlib.pyplot as plt
import numpy as np

from commsim_h5 import mean_ci
from .base import SENSITIVITY_SKIP, style, nice, axis_label, short_axis, html_table


class StudySection:
    def staffing_axis(self):
        return self._varied_axis("staffing.", "per_10k")

    def size_axis(self):
        return self._varied_axis("sizing.", "households")

    def _varied_axis(self, prefix, suffix):
        """The first numeric study axis whose key starts with prefix or ends with suffix and that takes at
        least two values over the successful runs, or None."""
        for a in self.axes:
            if a.startswith(prefix) or a.endswith(suffix):
                if self._numeric(a) and len(np.unique(self.ok[a])) >= 2:
                    return a
        return None

    def _numeric(self, a):
        return np.issubdtype(np.asarray(self.ok[a]).dtype, np.number)

    def base_values(self):
        base = self.study.select(self.study["variant"] == self.base_v)
        return {a: base[a][0] for a in self.axes}

    def hold_others(self, keep):
        """Mask over ok runs where every axis not in keep equals the base variant's value."""
        mask = np.ones(len(self.ok), dtype=bool)
        bv = self.base_values()
        held = []
        for a in self.axes:
            if a in keep:
                continue
            mask &= self.ok[a] == bv[a]
            held.append(f"{short_axis(a)} = {bv[a]:g}" if isinstance(bv[a], (float, np.floating))
                        else f"{short_axis(a)} = {bv[a]}")
        return mask, held

    def axis_tag(self, a):
        """Shortest readable name of an axis: its last key, unless two axes share it."""
        last = a.rsplit(".", 1)[-1]
        if sum(1 for b in self.axes if b.rsplit(".", 1)[-1] == last) > 1:
            return short_axis(a)
        return last

    def variant_label(self, v):
        rows = self.study.select(self.study["variant"] == v)
        parts = []
        for a in self.axes:
            val = rows[a][0]
            parts.append(f"{self.axis_tag(a)}={val:g}" if isinstance(val, (float, np.floating)) else
                         f"{self.axis_tag(a)}={val}")
        if parts:
            return f"v{v}: " + ", ".join(parts)
        names = self.out.variant_names()
        return f"v{v}: {names[v]}" if v in names else f"variant {v}"

    def response_axis(self, title, axis, needs):
        """The study axis a response chart draws (axis: staffing_axis or size_axis) with the runs that
        hold the other axes at the base (mask), what they are held at and the axis' values; or None
        after listing the chart as not shown (a sensitivity study, or no such axis: `needs`)."""
        if self.sens is not None:
            self.skip(title, SENSITIVITY_SKIP)
            return None
        a = axis() if self.out.is_study else None
        if a is None:
            self.skip(title, needs)
            return None
        mask, held = self.hold_others({a})
        return a, mask, held, np.unique(self.ok[a][mask])

    def fig_coverage_vs_staffing(self):
        title = "Coverage vs staffing ratio"
        drawn = self.response_axis(title, self.staffing_axis, "needs a study file with a staffing axis (e.g. "
                                   "staffing.rules.community_worker.per_10k) of at least two values")
        if drawn is None:
            return
        ax_name, mask, held, xs = drawn
        fig, ax = plt.subplots(figsize=(7.5, 4.4))
        nrep = []
        for j, s in enumerate(self.services):
            m, lo, hi = [], [], []
            for x in xs:
                sel = mask & (self.ok[ax_name] == x)
                mu, hw, n = mean_ci(self.cov[sel, j])
                nrep.append(n)
                m.append(100 * mu)
                hw = 0.0 if not np.isfinite(hw) else 100 * hw
                lo.append(100 * mu - hw)
                hi.append(100 * mu + hw)
            st = style(j)
            ax.fill_between(xs, lo, hi, color=st["color"], alpha=0.13, linewidth=0)
            ax.plot(xs, m, label=nice(s), markersize=5, markerfacecolor="white", linewidth=1.4, **st)
        ax.axhline(100 * self.target, color="black", linewidth=0.9, linestyle=(0, (2, 2)))
        ax.text(xs[0], 100 * self.target, f" target {100 * self.target:.0f} %", va="bottom", fontsize=8)
        bv = self.base_values().get(ax_name)
        if bv is not None:
            ax.axvline(bv, color="grey", linewidth=0.8, linestyle=":")
            ax.text(bv, 1, " base", rotation=90, va="bottom", fontsize=7, color="dimgrey")
        ax.set_xlabel(axis_label(ax_name))
        ax.set_ylabel("citywide coverage (% of requests served in time)")
        ax.set_ylim(0, 104)
        ax.legend(ncol=2, loc="lower right", frameon=True, framealpha=0.9)
        ax.set_title("Citywide coverage per service vs staffing ratio")
        reps = f"{min(nrep)}–{max(nrep)}" if min(nrep) != max(nrep) else f"{min(nrep)}"
        cap = (f"Mean citywide coverage per service over {reps} replicate(s) per point; shaded bands are 95 % "
               f"Student-t confidence intervals over replicates (common random numbers). Dashed line: the "
               f"{100 * self.target:.0f} % target"
               + (f"; other axes held at the base: {', '.join(held)}" if held else ""))
        self.save(fig, "coverage_vs_staffing", "Study", title, self.caption(cap, run=False))

    def fig_heatmap(self):
        title = "Coverage over community size × staffing"
        sa, za = (self.staffing_axis(), self.size_axis()) if self.out.is_study else (None, None)
        if self.sens is not None:
            self.skip(title, SENSITIVITY_SKIP)
            return
        if sa is None or za is None:
            self.skip(title, "needs a study file with both a staffing axis and a community-size axis "
                             "(e.g. sizing.households)")
            return
        mask, held = self.hold_others({sa, za})
        xs = np.unique(self.ok[sa][mask])
        ys = np.unique(self.ok[za][mask])
        S = len(self.services)
        ncol = 3 if S > 4 else max(S, 1)
        nrow = math.ceil(S / ncol)
        fig, axs = plt.subplots(nrow, ncol, figsize=(3.0 * ncol + 0.8, 2.5 * nrow + 0.6), squeeze=False,
                                sharex=True, sharey=True, constrained_layout=True)
        im = None
        for j, s in enumerate(self.services):
            ax = axs[j // ncol][j % ncol]
            grid = np.full((len(ys), len(xs)), np.nan)
            for yi, y in enumerate(ys):
                for xi, x in enumerate(xs):
                    sel = mask & (self.ok[sa] == x) & (self.ok[za] == y)
                    grid[yi, xi] = 100 * mean_ci(self.cov[sel, j])[0]
            im = ax.imshow(grid, origin="lower", aspect="auto", cmap="cividis", vmin=0, vmax=100)
            for yi in range(len(ys)):
                for xi in range(len(xs)):
                    v = grid[yi, xi]
                    if np.isfinite(v):
                        ax.text(xi, yi, f"{v:.0f}", ha="center", va="center", fontsize=8,
                                color="white" if v < 55 else "black")
            ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
            ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
            ax.set_title(nice(s), fontsize=9)
            ax.grid(False)
            if j + ncol >= S:       # lowest panel of its column
                ax.tick_params(labelbottom=True)
        for k in range(S, nrow * ncol):
            axs[k // ncol][k % ncol].axis("off")
        cb = fig.colorbar(im, ax=axs, shrink=0.8)
        cb.set_label("citywide coverage (%)")
        fig.suptitle("Citywide coverage by community size and staffing ratio", fontsize=10)
        fig.supxlabel(axis_label(sa), fontsize=9)
        fig.supylabel(axis_label(za), fontsize=9)
        cap = ("Mean citywide coverage (%) per service for each combination of community size and staffing "
               "ratio; the number in each cell is the value (blank: no successful run)"
               + (f"; other axes held at the base: {', '.join(held)}" if held else ""))
        self.save(fig, "coverage_heatmap", "Study", title, self.caption(cap, run=False))

    def fig_paired(self):
        title = "Paired differences to the base variant"
        if self.sens is not None:
            self.skip(title, SENSITIVITY_SKIP)
            return
        if "uncertainty" in self.out.file:
            self.skip(title, "an uncertainty run (commsim run --uncertainty): its variants are parameter samples, "
                             "summarised by the band chart")
            return
        if not self.out.is_study:
            self.skip(title, "needs a study file with several variants (differences to the base variant, "
                             "paired by replicate)")
            return
        variants = sorted(set(int(v) for v in self.ok["variant"]))
        base = self.base_v
        others = [v for v in variants if v != base]
        if not others:
            self.skip(title, "the study has only one variant with successful runs")
            return
        rows = []   # (variant, service index, mean diff pp, half width pp, n)
        cost_rows = []
        for v in others:
            for j in range(len(self.services)):
                d = []
                for r in sorted(set(int(x) for x in self.ok["replicate"])):
                    a = np.where((self.ok["variant"] == v) & (self.ok["replicate"] == r))[0]
                    b = np.where((self.ok["variant"] == base) & (self.ok["replicate"] == r))[0]
                    if len(a) and len(b):
                        d.append(100 * (self.cov[a[0], j] - self.cov[b[0], j]))
                mu, hw, n = mean_ci(d)
                rows.append((v, j, mu, hw, n))
            dc = []
            for r in sorted(set(int(x) for x in self.ok["replicate"])):
                a = np.where((self.ok["variant"] == v) & (self.ok["replicate"] == r))[0]
                b = np.where((self.ok["variant"] == base) & (self.ok["replicate"] == r))[0]
                if len(a) and len(b):
                    dc.append(self.cost_pr[a[0]] - self.cost_pr[b[0]])
            cost_rows.append((v,) + mean_ci(dc))
        self.paired_rows, self.paired_cost = rows, cost_rows
        S = len(self.services)
        fig, ax = plt.subplots(figsize=(6.3, 1.0 + 0.5 * len(others) * max(1, S / 3) + 1.0))
        band = 0.8
        for j, s in enumerate(self.services):
            st = style(j)
            off = -band / 2 + band * (j + 0.5) / S
            ys, xs, es = [], [], []
            for k, v in enumerate(others):
                r = [x for x in rows if x[0] == v and x[1] == j][0]
                ys.append(k + off)
                xs.append(r[2])
                es.append(r[3] if np.isfinite(r[3]) else 0)
            ax.errorbar(xs, ys, xerr=es, fmt=st["marker"], color=st["color"], markerfacecolor="white",
                        markersize=5, capsize=2.5, elinewidth=1.1, label=nice(s))
        ax.axvline(0, color="black", linewidth=0.9)
        ax.set_yticks(range(len(others)), [self.variant_label(v) for v in others])
        ax.invert_yaxis()
        ax.set_xlabel(f"Δ citywide coverage, variant − base v{base} (percentage points)")
        ax.set_title("Change in citywide coverage vs the base variant (paired by replicate)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="service")
        ax.grid(axis="y", visible=False)
        nmin, nmax = min(r[4] for r in rows), max(r[4] for r in rows)
        npairs = f"{nmin}" if nmin == nmax else f"{nmin}–{nmax}"
        cap = (f"Mean paired difference in citywide coverage (variant − base variant "
               f"{html.escape(self.variant_label(base))}; same replicate, same random streams) "
               f"with 95 % Student-t confidence intervals over {npairs} replicate pairs"
               + ("; where only one pair exists (a failed run) no interval is drawn" if nmin < 2 else ""))
        self.save(fig, "paired_differences", "Study", title, self.caption(cap, run=False))

    def study_tables(self):
        if not self.out.is_study:
            return ""
        if self.sens is not None:
            return self.sensitivity_tables()
        st = self.study
        variants = sorted(set(int(v) for v in st["variant"]))
        cols = ["variant"] + [short_axis(a) for a in self.axes] + ["runs ok / total"] + \
               [f"{nice(s)} coverage" for s in self.services] + ["cost per resident per year (yuan)"]
        rows = []
        for v in variants:
            sel = st["variant"] == v
            osel = self.ok["variant"] == v
            r = [str(v)] + [f"{st[a][sel][0]:g}" if isinstance(st[a][sel][0], (float, np.floating))
                            else str(st[a][sel][0]) for a in self.axes]
            r.append(f"{int(osel.sum())} / {int(sel.sum())}")
            for j in range(len(self.services)):
                mu, hw, n = mean_ci(self.cov[osel, j])
                r.append("–" if n == 0 else (f"{100 * mu:.1f} ± {100 * hw:.1f} %" if n > 1 else f"{100 * mu:.1f} %"))
            mu, hw, n = mean_ci(self.cost_pr[osel])
            r.append("–" if n == 0 else (f"{mu:,.0f} ± {hw:,.0f}" if n > 1 else f"{mu:,.0f}"))
            rows.append(r)
        out = html_table(cols, rows, numeric_from=1 + len(self.axes))
        failed = st.select(~st["ok"])
        note = (f"Mean citywide coverage per variant with 95 % CI over replicates. Variant {self.base_v} is the "
                f"base. {len(st)} runs in the study, {len(self.ok)} successful.")
        if len(failed):
            note += " Failed runs: " + ", ".join(f"variant {v} replicate {r} ({s})" for v, r, s in
                                                 zip(failed["variant"], failed["replicate"], failed["status"])) + "."
        out += f'<p class="note">{html.escape(note)}</p>'
        if hasattr(self, "paired_rows"):
            cols = ["variant"] + [f"Δ {nice(s)} (pp)" for s in self.services] + ["Δ cost per resident per year (yuan)"]
            rows = []
            for v, mu, hw, n in self.paired_cost:
                r = [self.variant_label(v)]
                for j in range(len(self.services)):
                    x = [q for q in self.paired_rows if q[0] == v and q[1] == j][0]
                    r.append(f"{x[2]:+.1f} ± {x[3]:.1f}" if np.isfinite(x[3]) else f"{x[2]:+.1f}")
                r.append(f"{mu:+,.0f} ± {hw:,.0f}" if np.isfinite(hw) else f"{mu:+,.0f}")
                rows.append(r)
            out += "<h3>Paired differences to the base variant</h3>" + html_table(cols, rows, numeric_from=1)
            out += ('<p class="note">Mean of (variant − base) over replicate pairs ± half-width of the 95 % '
                    'Student-t interval; pp = percentage points.</p>')
        return out
