"""The Community size section (issue 23): communities by the norm's size classes in the representative
run, and, for a study with a size axis (sizing.households), each service's coverage and the cost per
resident against the size, with 95 % intervals over replicates (docs/sizing.md)."""

import matplotlib.pyplot as plt
import numpy as np

from commsim_h5 import mean_ci
from .base import style, nice, axis_label, html_table

# The norm's size classes (N1.1, N1.3: 1,000 and 5,000 family households), as community_size in
# --summary-json counts them.
SIZE_CLASSES = (("micro", 0, 1000), ("within the norm", 1000, 5000), ("oversized", 5001, float("inf")))


class SizeSection:
    def size_table(self):
        """Communities of the representative run by size class: count, mean family households and
        community workers per 10,000 residents (the norms count family households: docs/sizing.md)."""
        c = self.rep.communities()
        if "family_households" not in c:
            return ""
        fam = np.asarray(c["family_households"], dtype=float)
        res = np.asarray(c["residents"], dtype=float)
        cw = np.asarray(c["staff_community_worker"], dtype=float) if "staff_community_worker" in c \
            else np.full(len(fam), np.nan)
        rows = []
        for name, lo, hi in SIZE_CLASSES:
            sel = (fam >= lo) & (fam < hi) if name != "oversized" else fam >= lo
            n = int(sel.sum())
            per_10k = 1e4 * cw[sel].sum() / res[sel].sum() if n and res[sel].sum() > 0 else float("nan")
            rows.append([name, n, f"{fam[sel].mean():,.0f}" if n else "–", f"{per_10k:.1f}" if n else "–"])
        return ("<p>Communities of " + self.rep_desc + " by the norm's size classes (family households: "
                "micro below 1,000, oversized above 5,000; N1.1, N1.3).</p>" +
                html_table(["class", "communities", "mean family households",
                            "community workers per 10,000 residents"], rows))

    def fig_size_response(self):
        title = "Coverage and cost vs community size"
        drawn = self.response_axis(title, self.size_axis, "needs a study file with a community-size axis "
                                   "(sizing.households, with sizing.mode: uniform) of at least two values")
        if drawn is None:
            return
        za, mask, held, xs = drawn
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": [3, 2]})
        nrep = []

        def band(axis, values, color, label, **kw):
            m, lo, hi = [], [], []
            for x in xs:
                mu, hw, n = mean_ci(values[mask & (self.ok[za] == x)])
                nrep.append(n)
                hw = 0.0 if not np.isfinite(hw) else hw
                m.append(mu), lo.append(mu - hw), hi.append(mu + hw)
            axis.fill_between(xs, lo, hi, color=color, alpha=0.13, linewidth=0)
            axis.plot(xs, m, label=label, markersize=5, markerfacecolor="white", linewidth=1.4, color=color, **kw)

        for j, s in enumerate(self.services):
            st = style(j)
            band(ax, 100 * self.cov[:, j], st.pop("color"), nice(s), **st)
        band(bx, self.cost_pr, "black", "cost per resident", marker="o")
        for a in (ax, bx):
            a.axvspan(1000, 5000, color="grey", alpha=0.07, linewidth=0)
            a.set_xlabel(axis_label(za))
        ax.set_ylabel("citywide coverage (% of requests served in time)")
        ax.set_ylim(0, 104)
        ax.legend(ncol=2, loc="lower right", frameon=True, framealpha=0.9, fontsize=7)
        ax.set_title("Coverage per service vs community size")
        bx.set_ylabel("cost per resident a year (yuan)")
        bx.set_title("Cost per resident vs community size")
        reps = f"{min(nrep)}–{max(nrep)}" if min(nrep) != max(nrep) else f"{min(nrep)}"
        cap = (f"The same residents in communities of the size on the x axis (family households); mean over "
               f"{reps} replicate(s) per point, shaded bands 95 % Student-t intervals over replicates (common "
               f"random numbers). Grey: the norm's band of 1,000–5,000 households (N1.1)"
               + (f"; other axes held at the base: {', '.join(held)}" if held else ""))
        self.save(fig, "size_response", "Community size", title, self.caption(cap, run=False))
