"""The Headroom section (commsim headroom): coverage per demand multiplier."""

import html

import matplotlib.pyplot as plt
import numpy as np

from .base import style, nice, html_table


class HeadroomSection:
    def headroom_tables(self, h):
        target = float(h["target"])
        if h["status"] == "found":
            text = (f"Demand can grow to x{float(h['multiplier']):g} with every service at or above "
                    f"{100 * target:.0f} % coverage (least margin: {nice(h['binding'])}, "
                    f"{100 * float(h['margin']):+.2f} pp). At x{float(h['failing_multiplier']):g} "
                    f"{nice(h['fails_first'])} fails first ({100 * float(h['fails_first_coverage']):.1f} %).")
        elif h["status"] == "above_max":
            text = f"Every service met {100 * target:.0f} % up to x{float(h['multiplier']):g}, the largest multiplier tried."
        else:
            text = (f"No headroom: even at x{float(h['failing_multiplier']):g} {nice(h['fails_first'])} misses "
                    f"{100 * target:.0f} %.")
        ev = h["evaluations"]
        rows = [[f"{ev['multiplier'][i]:g}", "yes" if ev["passes"][i] else "no", nice(ev["worst_service"][i]),
                 f"{100 * ev['worst_margin'][i]:+.2f}"] for i in range(len(ev))]
        return (f"<p>{html.escape(text)}</p>" +
                html_table(["multiplier (in the order evaluated)", "every service meets the target",
                            "service with the least margin", "its margin (pp)"], rows, numeric_from=1))

    def fig_headroom(self, h, title):
        ev = h["evaluations"]
        order = np.argsort(ev["multiplier"])
        xm = np.asarray(ev["multiplier"], dtype=float)[order]
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        for j, s in enumerate(h["services"]):
            ax.plot(xm, 100 * h["coverage"][order, j], label=nice(s), markersize=4, markerfacecolor="white", **style(j))
        ax.axhline(100 * float(h["target"]), color="black", linewidth=1.0, linestyle=":", label="target")
        if np.isfinite(float(h["multiplier"])):
            ax.axvline(float(h["multiplier"]), color="black", linewidth=1.2, linestyle="--",
                       label=f"headroom x{float(h['multiplier']):g}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("demand multiplier (run.demand_multiplier, log scale)")
        ax.set_ylabel("coverage (%)")
        ax.set_title("Coverage per service at each demand multiplier evaluated")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        cap = (f"Every multiplier the search evaluated ({len(ev)}; bracketed by doubling or halving from 1, then "
               f"bisected to {float(h['tolerance']):g}), mean coverage over {int(h['replicates'])} replicate(s); "
               f"status {html.escape(str(h['status']))}")
        self.save(fig, "headroom", "Headroom", title, self.caption(cap, run=False))
