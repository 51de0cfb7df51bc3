"""The Coverage section: the distribution of community coverage and the map."""

import html
import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from commsim_h5 import CommsimFileError
from .base import style, nice


class CoverageSection:
    def fig_coverage_distribution(self):
        title = "Distribution of community coverage"
        cov = self.rep.totals("coverage")   # (C, S)
        demand = self.rep.totals("demand")
        C = cov.shape[0]
        fig, ax = plt.subplots(figsize=(7.5, 4.4))
        below = []
        handles = []
        for j, s in enumerate(self.services):
            has = demand[:, j] > 0
            v = np.sort(100 * cov[has, j])
            if len(v) == 0:
                continue
            y = 100 * np.arange(1, len(v) + 1) / len(v)
            st = style(j)
            nb = int((v < 100 * self.target).sum())
            below.append(f"{nice(s)} {nb}/{len(v)}")
            ax.step(np.concatenate([[0], v]), np.concatenate([[0], y]), where="post", color=st["color"],
                    linestyle=st["linestyle"], linewidth=1.4)
            ax.plot(v, y, linestyle="none", marker=st["marker"], color=st["color"], markersize=4,
                    markerfacecolor="white", markevery=max(1, len(v) // 8))
            handles.append(Line2D([], [], color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                                  markerfacecolor="white", markersize=5, linewidth=1.4,
                                  label=f"{nice(s)} ({nb} below)"))
        ax.axvline(100 * self.target, color="black", linewidth=1.0, linestyle=(0, (2, 2)))
        ax.text(100 * self.target, 101, f"target {100 * self.target:.0f} %", ha="right", va="bottom", fontsize=8)
        ax.set_xlim(0, 101)
        ax.set_ylim(0, 105)
        ax.set_xlabel("community coverage (% of requests served in time)")
        ax.set_ylabel(f"communities at or below (% of {C})")
        ax.set_title("Who is left behind: cumulative distribution of community coverage")
        ax.legend(handles=handles, loc="upper left", frameon=True, framealpha=0.9)
        cap = ("Empirical cumulative distribution (ECDF) of coverage across communities, per service "
               "(communities with demand for the service). The height of a curve where it crosses the dashed "
               "target line is the share of communities below the target; the legend gives their number")
        self.save(fig, "coverage_distribution", "Coverage", title, self.caption(cap))

    def pick_map_service(self):
        cw = self.rep.citywide_services()
        if self.map_service:
            if self.map_service not in self.services:
                raise CommsimFileError(f"--service {self.map_service!r} is not a service of this file "
                                       f"({', '.join(self.services)})")
            return self.map_service
        best, bestv = self.services[0], 2.0
        for s, c, d in zip(cw["name"], cw["coverage"], cw["demand"]):
            if d > 0 and c < bestv:
                best, bestv = s, c
        return best

    def fig_map(self):
        title = "Map of communities"
        s = self.pick_map_service()
        j = self.services.index(s)
        cm = self.rep.communities()
        x, y = cm["x_m"] / 1000.0, cm["y_m"] / 1000.0
        cov = 100 * self.rep.totals("coverage")[:, j]
        hh = cm["households"].astype(float)
        size = 12 + 90 * np.sqrt(hh / max(hh.max(), 1))
        over = cm["oversized"].astype(bool)
        micro = cm["micro"].astype(bool)
        normal = ~(over | micro)
        fig, ax = plt.subplots(figsize=(7.5, 6.2))
        sc = None
        # Colour range: whole tens around the data, so small differences stay visible in grey.
        vmin = 10 * math.floor(np.nanmin(cov) / 10) if len(cov) else 0
        vmax = 10 * math.ceil(np.nanmax(cov) / 10) if len(cov) else 100
        if vmax - vmin < 10:
            vmin, vmax = max(0, vmax - 10), max(vmax, 10)
        groups = [(normal, "o", "in size band"), (over, "s", "oversized (> band, N1)"),
                  (micro, "^", "micro (< band, N1)")]
        for m, mk, lab in groups:
            if m.any():
                sc = ax.scatter(x[m], y[m], c=cov[m], s=size[m], marker=mk, cmap="cividis", vmin=vmin, vmax=vmax,
                                edgecolors="black", linewidths=0.9 if mk != "o" else 0.4, label=lab)
        below = cov < 100 * self.target
        if below.any() and not below.all():
            ax.scatter(x[below], y[below], s=size[below] * 2.4, marker="o", facecolors="none",
                       edgecolors="black", linewidths=0.7, linestyle=(0, (1, 1)))
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("easting (km)")
        ax.set_ylabel("northing (km)")
        cb = fig.colorbar(sc, ax=ax, shrink=0.8)
        cb.set_label(f"coverage of {nice(s)} (%)")
        handles = [Line2D([], [], marker=mk, linestyle="none", markerfacecolor="lightgrey", markeredgecolor="black",
                          markersize=8, label=f"{lab} ({int(m.sum())})") for m, mk, lab in groups]
        if below.all():
            handles.append(Line2D([], [], linestyle="none", label=f"all {len(cov)} below the "
                                                                     f"{100 * self.target:.0f} % target"))
        elif below.any():
            handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none",
                                  markeredgecolor="black", markersize=12,
                                  label=f"below {100 * self.target:.0f} % target ({int(below.sum())})"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.1), ncol=2, frameon=False)
        ax.set_title(f"Communities shaded by coverage of {nice(s)}")
        cap = (f"Community centres (x_m, y_m) shaded by coverage of <i>{html.escape(nice(s))}</i> "
               f"(light = high; lowest-coverage service unless --service is given); marker area grows with "
               f"households; squares oversized and triangles micro communities (N1); dotted rings mark "
               f"communities below the target; colour scale {vmin:.0f}–{vmax:.0f} %")
        self.save(fig, "coverage_map", "Coverage", title, self.caption(cap))
