#!/usr/bin/python3
"""Figures and a self-contained HTML report from a commsim output file (run, study, response curve,
headroom or uncertainty file).

    report.py OUT.h5 -o DIR [--service NAME] [--run N] [--summary-json SUMMARY.json]

Writes DIR/<figure>.png and DIR/<figure>.svg for every figure that applies to the file, and
DIR/index.html with the PNGs embedded as data URIs (the page needs no other file), links to the
PNG/SVG files, a summary table of citywide metrics per service, the workforce table and the norm
compliance table; for a sensitivity study (design: morris or sobol, docs/sensitivity.md) the tornado
charts of Morris mu* with sigma, or the Sobol index bars with their intervals, per outcome, and the
ranking tables; for `commsim run --uncertainty` the band chart (point run, median and 90 % band per
outcome); with the run's --summary-json from `commsim run --targets`, the calibration
targets. Figures are readable in black and white (line styles, markers and hatches, not
colour alone). Figures that need a study file are listed in the report when the input is a single run.
Exit status 2 with a message for a file that is not a complete commsim output.
"""

import argparse
import base64
import html
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from commsim_h5 import CommsimFileError, mean_ci, open_output  # noqa: E402

# Okabe-Ito (colour-blind safe); every series also gets its own line style / marker / hatch.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 1)), (0, (3, 1, 1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
HATCHES = ["", "///", "\\\\\\", "xxx", "...", "+++", "ooo", "---"]
SENSITIVITY_SKIP = ("a sensitivity study (design: morris or sobol): its variants are design points, not a grid; "
                    "see the sensitivity figures")

plt.rcParams.update({
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.linestyle": ":",
    "grid.linewidth": 0.6, "grid.color": "#999999", "figure.dpi": 100, "savefig.dpi": 110,
    "hatch.linewidth": 0.6, "svg.hashsalt": "commsim", "svg.fonttype": "none",
})


def style(i):
    return dict(color=COLOURS[i % len(COLOURS)], linestyle=LINESTYLES[i % len(LINESTYLES)],
                marker=MARKERS[i % len(MARKERS)])


def nice(name):
    return str(name).replace("_", " ")


def fmt_minutes(m):
    if not np.isfinite(m):
        return "–"
    if m < 90:
        return f"{m:.0f} min" if m >= 10 else f"{m:.1f} min"
    if m < 48 * 60:
        return f"{m / 60:.1f} h"
    return f"{m / 1440:.1f} d"


def fmt_num(v, digits=0):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f"{v:,.{digits}f}"


def pct(v, digits=1):
    if v is None or not np.isfinite(v):
        return "–"
    return f"{100 * v:.{digits}f} %"


def axis_label(path):
    """Readable label with units for a study axis key path."""
    last = path.rsplit(".", 1)[-1]
    if last == "per_10k":
        role = path.split(".")[-2] if "." in path else "staff"
        return f"{nice(role)}s per 10,000 residents (staff / 10k residents)"
    if path.endswith("sizing.households") or last == "households":
        return "community size (households)"
    return f"{path} (scenario units)"


def short_axis(path):
    parts = path.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else path


def parameter_labels(keys):
    """Each key path's shortest tail of two or more segments that no other key ends with and that
    does not start at a list index ("gp.per_10k", "childcare.take_up.fee_yuan_per_month",
    "rate_per_year_by_age.2.value")."""
    labels = []
    for key in keys:
        parts = key.split(".")
        for n in range(min(2, len(parts)), len(parts) + 1):
            label = ".".join(parts[-n:])
            unique = not any(other != key and (other == label or other.endswith("." + label)) for other in keys)
            if unique and not parts[-n].isdigit():
                break
        labels.append(label)
    return labels


class Report:
    def __init__(self, out, outdir, service=None, run=None, calibration=None):
        self.out = out
        self.calibration = calibration  # calibration.targets of a --summary-json document, or None
        self.outdir = outdir
        self.figures = []      # dicts: id, section, title, caption, png, svg
        self.skipped = []      # (title, reason)
        self.sections = {}     # section -> list of html chunks (tables)
        self.target = out.coverage_target
        self.map_service = service
        self.study = out.study_table()
        self.ok = self.study.select(self.study["ok"])
        if len(self.ok) == 0:
            raise CommsimFileError(f"{out.path}: no successful run in the study")
        # Base variant: the file's (a study's base_variant attribute) if it has successful runs.
        self.base_v = out.base_variant
        if not (self.ok["variant"] == self.base_v).any():
            self.base_v = int(self.ok["variant"].min())
        # Representative run: the one asked for, else the first successful run of the base variant.
        if run is not None:
            self.rep = out.run(run)
        else:
            base = self.ok.select(self.ok["variant"] == self.base_v)
            self.rep = out.run(str(base["run"][0]))
        self.rep_desc = self._run_desc(self.rep)
        self.services = self.rep.services
        self.roles = self.rep.roles
        self.kinds = dict(zip(self.rep.citywide_services()["name"], self.rep.citywide_services()["kind"]))
        if service is not None and service not in self.services:
            raise CommsimFileError(f"--service {service!r} is not a service of this file "
                                   f"({', '.join(self.services)})")
        self.axes = out.study_axes()
        self.sens = out.sensitivity()
        self._load_study_metrics()

    # helpers ----------------------------------------------------------------------------------
    def _run_desc(self, run):
        v, r = run.attr("variant"), run.attr("replicate", 0)
        if self.out.is_study and v is not None:
            return f"run {run.name} (variant {v}, replicate {r}, run seed {run.attr('seed')})"
        return f"run {run.name} (replicate {r}, run seed {run.attr('seed')}, {run.days} days)"

    def provenance_line(self):
        o = self.out
        return (f"Scenario <b>{html.escape(str(o.scenario_name))}</b>, seed {o.seed}; "
                f"commsim {html.escape(str(o.version))} (git {html.escape(str(o.git_commit))[:12]})")

    def caption(self, text, run=True):
        c = text.rstrip()
        if not c.endswith("."):
            c += "."
        c += " " + self.provenance_line()
        if run:
            c += "; " + html.escape(self.rep_desc)
        return c + "."

    def save(self, fig, fid, section, title, caption):
        png = os.path.join(self.outdir, fid + ".png")
        svg = os.path.join(self.outdir, fid + ".svg")
        fig.savefig(png, bbox_inches="tight", metadata={"Software": None})
        fig.savefig(svg, bbox_inches="tight", metadata={"Date": None, "Creator": None})
        plt.close(fig)
        self.figures.append(dict(id=fid, section=section, title=title, caption=caption,
                                 png=fid + ".png", svg=fid + ".svg"))

    def skip(self, title, reason):
        self.skipped.append((title, reason))

    # study data -------------------------------------------------------------------------------
    def _load_study_metrics(self):
        """Citywide coverage (runs x services) and run scalars for every successful run."""
        n = len(self.ok)
        S = len(self.services)
        self.cov = np.full((n, S), np.nan)
        self.cov_rw = np.full((n, S), np.nan)
        self.mean_wait = np.full((n, S), np.nan)
        self.cost_pr = np.full(n, np.nan)
        self.access = np.full(n, np.nan)
        for i, name in enumerate(self.ok["run"]):
            run = self.out.run(str(name))
            cw = run.citywide_services()
            idx = {s: j for j, s in enumerate(cw["name"])}
            for j, s in enumerate(self.services):
                if s in idx:
                    self.cov[i, j] = cw["coverage"][idx[s]]
                    self.cov_rw[i, j] = cw["coverage_resident_weighted"][idx[s]]
                    self.mean_wait[i, j] = cw["mean_wait_min"][idx[s]]
            days = max(run.days, 1)
            self.cost_pr[i] = float(run.attr("cost_per_resident_yuan", np.nan)) * 365.0 / days
            self.access[i] = float(run.attr("access_share", np.nan))

    def staffing_axis(self):
        for a in self.axes:
            if a.startswith("staffing.") or a.endswith("per_10k"):
                if self._numeric(a) and len(np.unique(self.ok[a])) >= 2:
                    return a
        return None

    def size_axis(self):
        for a in self.axes:
            if a.startswith("sizing.") or a.endswith("households"):
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

    # figures ----------------------------------------------------------------------------------
    def fig_coverage_vs_staffing(self):
        title = "Coverage vs staffing ratio"
        ax_name = self.staffing_axis() if self.out.is_study else None
        if self.sens is not None:
            self.skip(title, SENSITIVITY_SKIP)
            return
        if ax_name is None:
            self.skip(title, "needs a study file with a staffing axis (e.g. "
                             "staffing.rules.community_worker.per_10k) of at least two values")
            return
        mask, held = self.hold_others({ax_name})
        xs = np.unique(self.ok[ax_name][mask])
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

    # districts ---------------------------------------------------------------------------------
    def district_facts(self):
        """The representative run's district table with derived columns, or None with fewer than two."""
        dt = self.rep.districts()
        if dt is None or len(dt) < 2:
            return None
        com = np.maximum(dt["communities"].astype(float), 1)
        dt["residents_per_community"] = dt["residents"] / com
        dt["residents_per_km2"] = np.where(dt["area_km2"] > 0, dt["residents"] / np.maximum(dt["area_km2"], 1e-9),
                                           np.nan)
        return dt

    @staticmethod
    def district_label(dt, i):
        """Figure label of district i: its census code when it has one (figure fonts need not have CJK
        glyphs; the page's table pairs codes with names), else its name."""
        code = str(dt["code"][i]) if "code" in dt else ""
        return code or str(dt["name"][i])

    def worst_districts(self, dt):
        """Per service: index of the worst-served district (lowest coverage among districts with
        demand), or None when every district has the same coverage."""
        cov, dem = self.rep.district_matrix("coverage"), self.rep.district_matrix("demand")
        worst = []
        for j in range(cov.shape[1]):
            has = dem[:, j] > 0
            if has.sum() < 2 or np.ptp(cov[has, j]) == 0:
                worst.append(None)
                continue
            idx = np.flatnonzero(has)
            worst.append(int(idx[np.argmin(cov[has, j])]))
        return worst

    def fig_district_coverage(self):
        title = "Coverage by district"
        dt = self.district_facts()
        if dt is None:
            self.skip(title, "needs a city of at least two districts (city.census)")
            return
        s = self.pick_map_service()
        j = self.services.index(s)
        dcov = 100 * self.rep.district_matrix("coverage")[:, j]
        ddem = self.rep.district_matrix("demand")[:, j]
        labels = [self.district_label(dt, i) for i in range(len(dt))]
        classes = list(dict.fromkeys(str(c) for c in dt["district_class"])) if "district_class" in dt else [""]
        cls_of = [classes.index(str(c)) for c in dt["district_class"]] if "district_class" in dt else [0] * len(dt)
        has = ddem > 0
        vals = dcov[has] if has.any() else np.array([100.0])
        vmin, vmax = 10 * math.floor(vals.min() / 10), 10 * math.ceil(vals.max() / 10)
        if vmax - vmin < 10:
            vmin, vmax = max(0, vmax - 10), max(vmax, 10)
        fig, (axm, axb) = plt.subplots(1, 2, figsize=(11, 5.4), gridspec_kw={"width_ratios": [1.25, 1]})
        # Map: every community at its centre, shaded by its district's coverage.
        cm = self.rep.communities()
        row = {str(n): i for i, n in enumerate(dt["name"])}
        di = np.array([row.get(str(n), -1) for n in cm["district"]])
        known = di >= 0
        x, y = cm["x_m"] / 1000.0, cm["y_m"] / 1000.0
        dot = float(np.clip(4000.0 / max(int(known.sum()), 1), 14, 120))  # marker area: smaller for many communities
        sc = axm.scatter(x[known], y[known], c=dcov[di[known]], s=dot, cmap="cividis", vmin=vmin, vmax=vmax,
                         edgecolors="black", linewidths=0.3)
        for i in range(len(dt)):
            m = di == i
            if m.any():
                axm.annotate(labels[i], (float(np.median(x[m])), float(np.median(y[m]))), fontsize=7,
                             ha="center", va="bottom", textcoords="offset points", xytext=(0, 5),
                             bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75))
        axm.set_aspect("equal", adjustable="datalim")
        axm.set_xlabel("easting (km)")
        axm.set_ylabel("northing (km)")
        axm.set_title("Communities shaded by their district's coverage")
        fig.colorbar(sc, ax=axm, shrink=0.75).set_label(f"district coverage of {nice(s)} (%)")
        # Bars: districts from worst to best, hatched by class; the worst outlined.
        order = [i for i in np.argsort(dcov, kind="stable") if has[i]]
        ypos = np.arange(len(order))
        for k, i in enumerate(order):
            axb.barh(k, dcov[i], color=COLOURS[cls_of[i] % len(COLOURS)], hatch=HATCHES[cls_of[i] % len(HATCHES)],
                     edgecolor="black", linewidth=1.6 if k == 0 else 0.5, alpha=0.85)
            axb.text(dcov[i], k, f" {dcov[i]:.1f}", va="center", fontsize=7)
        axb.set_yticks(ypos)
        axb.set_yticklabels([labels[i] for i in order], fontsize=7)
        axb.set_xlim(max(0, vmin - 5), 104)
        axb.axvline(100 * self.target, color="black", linewidth=0.9, linestyle=(0, (2, 2)))
        axb.set_xlabel(f"coverage of {nice(s)} (%)")
        axb.set_title("Districts, worst at the top")
        axb.invert_yaxis()
        axb.legend(handles=[Patch(facecolor=COLOURS[k % len(COLOURS)], hatch=HATCHES[k % len(HATCHES)],
                                                     edgecolor="black", label=nice(c) or "district")
                            for k, c in enumerate(classes)], loc="upper center", bbox_to_anchor=(0.5, -0.1),
                   ncol=4, frameon=False)
        spread = float(vals.max() - vals.min())
        cap = (f"Coverage of <i>{html.escape(nice(s))}</i> per district (lowest-coverage service unless --service "
               f"is given). Left: community centres (x_m, y_m) shaded by their district's coverage, labelled by "
               f"district code; right: districts from worst to best, hatched by district class, the worst "
               f"outlined; dashed line: the {100 * self.target:.0f} % target. Best − worst: {spread:.1f} "
               f"percentage points. The district table (names, facts) is above")
        self.save(fig, "district_coverage", "Districts", title, self.caption(cap))

    def district_table(self):
        dt = self.district_facts()
        if dt is None:
            return ""
        cov, unmet = self.rep.district_matrix("coverage"), self.rep.district_matrix("unmet_hours")
        dem = self.rep.district_matrix("demand")
        worst = self.worst_districts(dt)
        facts = ["district", "code", "class", "communities", "residents", "60+", "80+", "household size (persons)",
                 "residents per community", "residents per km² (built-up)"]
        rows = []
        for i in range(len(dt)):
            rows.append([str(dt["name"][i]), self.district_label(dt, i), nice(dt["district_class"][i]),
                         fmt_num(float(dt["communities"][i])), fmt_num(float(dt["residents"][i])),
                         pct(dt["share_60plus"][i]), pct(dt["share_80plus"][i]),
                         f"{dt['mean_household_size'][i]:.2f}", fmt_num(float(dt["residents_per_community"][i])),
                         fmt_num(float(dt["residents_per_km2"][i]))])
        out = html_table(facts, rows, numeric_from=3)
        cols = ["district"] + [nice(s) for s in self.services]
        rows = []
        for i in range(len(dt)):
            r = [str(dt["name"][i])]
            for j in range(len(self.services)):
                if dem[i, j] <= 0:
                    r.append("–")
                    continue
                mark = " ▼" if worst[j] == i else ""
                r.append(f"{100 * cov[i, j]:.1f} % · {fmt_num(float(unmet[i, j]))} h{mark}")
            rows.append(r)
        spread = ["best − worst (points)"]
        for j in range(len(self.services)):
            has = dem[:, j] > 0
            spread.append(f"{100 * np.ptp(cov[has, j]):.1f}" if has.any() else "–")
        rows.append(spread)
        note = (f"Districts of {html.escape(self.rep_desc)}. First table: the district's facts (shares of residents; "
                "built-up area from the districts file). Second: coverage (served in time ÷ demand; enrolment: "
                "enrolled ÷ wanting person-days) · unmet service hours, per service; ▼ marks the worst-served "
                "district of each service (none when all districts are equal); the last row is the spread "
                "between the best- and worst-served district in percentage points.")
        return out + html_table(cols, rows, numeric_from=1) + f'<p class="note">{note}</p>'

    def queue_services(self):
        return [s for s in self.services if self.kinds.get(s) != "enrolment"]

    def fig_waits(self):
        title = "Waiting times per service"
        cw = self.rep.citywide_services()
        svc = self.queue_services()
        if not svc:
            self.skip(title, "no queue (episodic / recurring) service in the file")
            return
        idx = [list(cw["name"]).index(s) for s in svc]
        mean = np.array([cw["mean_wait_min"][i] for i in idx], dtype=float)
        p90 = np.array([cw["p90_wait_min"][i] for i in idx], dtype=float)
        fig, ax = plt.subplots(figsize=(7.5, 4.0))
        xs = np.arange(len(svc))
        w = 0.38
        for k, (vals, lab) in enumerate([(mean, "mean"), (p90, "90th percentile")]):
            bars = ax.bar(xs + (k - 0.5) * w, np.maximum(vals, 0.01), w, label=lab, color=["#56B4E9", "#0072B2"][k],
                          hatch=["", "///"][k], edgecolor="black", linewidth=0.6)
            for b, v in zip(bars, vals):
                ax.text(b.get_x() + b.get_width() / 2, b.get_height() * 1.08, fmt_minutes(v), ha="center",
                        va="bottom", fontsize=7, rotation=0)
        positive = np.concatenate([mean, p90])
        positive = positive[positive > 0]
        if len(positive) and positive.max() / max(positive.min(), 0.01) > 50:
            ax.set_yscale("log")
            ax.set_ylabel("wait until service starts (minutes, log scale)")
        else:
            ax.set_ylabel("wait until service starts (minutes)")
        ax.set_ylim(top=ax.get_ylim()[1] * (3 if ax.get_yscale() == "log" else 1.15))
        ax.set_xticks(xs, [nice(s) for s in svc])
        ax.set_xlabel("service")
        ax.legend(loc="upper left")
        ax.set_title("Citywide wait per service: mean and 90th percentile")
        enr = [s for s in self.services if s not in svc]
        cap = ("Mean and 90th-percentile wait (from request to start of service) over all served requests, "
               "citywide; labels give the value in minutes (min), hours (h) or days (d)"
               + (f". Enrolment services ({', '.join(nice(s) for s in enr)}) have a waiting list rather than "
                  "a queue and are not shown" if enr else ""))
        self.save(fig, "waits", "Timeliness", title, self.caption(cap))

    def fig_daily_wait(self):
        title = "Daily mean wait over time"
        if not self.rep.has_daily:
            self.skip(title, "needs daily records (run.daily_output: true)")
            return
        wait = self.rep.daily("wait_mean_min").astype(float)   # (C, D, S)
        served = self.rep.daily("served").astype(float)
        backlog = self.rep.daily("backlog").astype(float)
        svc = self.queue_services()
        D = wait.shape[1]
        days = np.arange(1, D + 1)
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7.5, 6.0), sharex=True, height_ratios=[3, 2])
        maxv, minv = 0.0, np.inf
        for s in svc:
            j = self.services.index(s)
            w = served[:, :, j].sum(axis=0)
            tot = (np.nan_to_num(wait[:, :, j]) * served[:, :, j]).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                m = np.where(w > 0, tot / w, np.nan)
            st = style(j)
            ax.plot(days, m, label=nice(s), linewidth=1.2, markersize=4, markerfacecolor="white",
                    markevery=max(1, D // 10), **st)
            ax2.plot(days, backlog[:, :, j].sum(axis=0), linewidth=1.2, markersize=4, markerfacecolor="white",
                     markevery=max(1, D // 10), **st)
            fin = m[np.isfinite(m) & (m > 0)]
            if len(fin):
                maxv, minv = max(maxv, fin.max()), min(minv, fin.min())
        if maxv > 0 and maxv / minv > 50:
            ax.set_yscale("log")
            for line in ax.get_lines():     # a zero-minute day cannot be drawn on a log axis
                yd = np.asarray(line.get_ydata(), dtype=float)
                line.set_ydata(np.where(yd > 0, yd, np.nan))
            ax.set_ylabel("mean wait (minutes, log scale)")
        else:
            ax.set_ylabel("mean wait (minutes)")
        ax2.legend(*ax.get_legend_handles_labels(), ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.3),
                   frameon=False)
        ax.set_title("Daily mean wait (served-weighted over communities) and backlog")
        ax2.set_ylabel("backlog at day end (requests)")
        ax2.set_xlabel("day of the run (day)")
        cap = ("Top: mean wait of the requests served each day, averaged over communities weighted by the "
               "number served (days without service are gaps). Bottom: requests waiting at the end of each "
               "day, summed over the city. Queue services only")
        self.save(fig, "daily_wait", "Timeliness", title, self.caption(cap))

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

    def fig_cost(self):
        title = "Cost per resident and cost split"
        cm = self.rep.communities()
        days = max(self.rep.days, 1)
        annual = 365.0 / days
        pay_c, pay_d = cm["pay_city_yuan"], cm["pay_district_yuan"]
        of_c, of_d = cm["operating_funds_city_yuan"], cm["operating_funds_district_yuan"]
        res = np.maximum(cm["residents"].astype(float), 1)
        per_res = (pay_c + pay_d + of_c + of_d) / res * annual
        city = float(self.rep.attr("cost_per_resident_yuan", np.nan)) * annual
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.5, 3.9), width_ratios=[3, 2])
        bins = min(30, max(6, len(per_res) // 3))
        ax.hist(per_res, bins=bins, color="#56B4E9", edgecolor="black", linewidth=0.5, hatch="//",
                label="communities")
        ax.axvline(city, color="black", linewidth=1.2, linestyle="--", label=f"citywide {city:,.0f}")
        ax.axvline(np.median(per_res), color="black", linewidth=1.0, linestyle=":",
                   label=f"median community {np.median(per_res):,.0f}")
        ax.set_xlabel("cost per resident (yuan per resident per year)")
        ax.set_ylabel("communities (count)")
        ax.legend(loc="upper right", frameon=True, framealpha=0.9)
        ax.set_title("Staff pay + operating funds per resident")
        # City / district split (million yuan per year).
        mil = 1e6 / annual
        segs = [("staff pay", [pay_c.sum() / mil, pay_d.sum() / mil], "#0072B2", ""),
                ("operating funds", [of_c.sum() / mil, of_d.sum() / mil], "#E69F00", "xx")]
        bottom = np.zeros(2)
        for name, vals, col, hat in segs:
            ax2.bar([0, 1], vals, 0.6, bottom=bottom, color=col, hatch=hat, edgecolor="black", linewidth=0.6,
                    label=name)
            for k in range(2):
                if vals[k] > 0:
                    ax2.text(k, bottom[k] + vals[k] / 2, f"{vals[k]:,.1f}", ha="center", va="center", fontsize=7,
                             bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8))
            bottom += np.array(vals)
        tot = bottom.sum()
        ax2.set_xticks([0, 1], [f"city\n{100 * bottom[0] / tot:.0f} %" if tot else "city",
                                f"district / county\n{100 * bottom[1] / tot:.0f} %" if tot else "district"])
        ax2.set_ylabel("cost (million yuan per year)")
        ax2.set_title("Who pays (N5.2, N5.3)")
        ax2.legend(loc="upper right", frameon=True, framealpha=0.9)
        ax2.set_ylim(0, bottom.max() * 1.25 if bottom.max() > 0 else 1)
        ax2.grid(axis="x", visible=False)
        cap = (f"Left: distribution over communities of staff pay plus operating funds per resident, "
               f"annualised from the {days}-day run (× 365/{days}); dashed line the citywide value. Right: total "
               f"cost split between the city and district/county budgets (million yuan per year)")
        self.save(fig, "cost", "Cost", title, self.caption(cap))

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

    # sensitivity (design: morris | sobol) ------------------------------------------------------
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
        from matplotlib.patches import Patch
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
            rows = [[self.sens["parameters"][p]] for p in range(k)]
            for o, _ in entries:
                order, _ = self._sens_order(o, key)
                rank = {p: r + 1 for r, p in enumerate(order)}
                for p in range(k):
                    v = value[o, p]
                    rows[p].append("–" if not np.isfinite(v) else
                                   f"{rank[p]}: {v:.3g}" + (" *" if below[o, p] else ""))
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
                f"{facts['replicates']} replicates; – with one replicate). Parameters: the study's axes with their "
                f"ranges in the study file; docs/sensitivity.md says how to read the indices.")
        head = (f"<p>{'Morris screening' if morris else 'Sobol indices (Saltelli scheme)'} of "
                f"{facts['parameters']} parameters: {facts['points']} design points × {facts['replicates']} "
                f"replicates. The per-variant tables of a grid study are not shown: every variant is a design "
                f"point.</p>")
        return head + "".join(out) + f'<p class="note">{html.escape(note)}</p>'
    def fig_response_curve(self):
        title = "Response curve"
        c = self.out.curve()
        if c is None:
            self.skip(title, "needs a response-curve file (commsim curve)")
            return
        self.curve = c
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

    def fig_headroom(self):
        title = "Demand headroom"
        h = self.out.headroom()
        if h is None:
            self.skip(title, "needs a headroom file (commsim headroom)")
            return
        self.headroom = h
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

    def fig_uncertainty(self):
        title = "Uncertainty bands"
        u = self.out.uncertainty()
        if u is None:
            self.skip(title, "needs an uncertainty file (commsim run --uncertainty N -o FILE)")
            return
        self.uncertainty = u
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

    # tables ----------------------------------------------------------------------------------
    def uncertainty_tables(self):
        u = getattr(self, "uncertainty", None)
        if u is None:
            return ""
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

    def curve_tables(self):
        c = getattr(self, "curve", None)
        if c is None:
            return ""
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

    def headroom_tables(self):
        h = getattr(self, "headroom", None)
        if h is None:
            return ""
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

    def summary_table(self):
        cw = self.rep.citywide_services()
        nrep = int((self.ok["variant"] == self.base_v).sum())
        cols = ["service", "kind", "demand (requests)", "served in time (requests)", "coverage",
                "coverage, resident-weighted", "communities below target", "worst-decile coverage",
                "Gini of coverage", "mean wait", "p90 wait", "unmet (requests)", "backlog at end (requests)"]
        if nrep > 1:
            cols.insert(5, f"coverage, mean ± 95 % CI over {nrep} replicates")
        rows = []
        bmask = self.ok["variant"] == self.base_v
        for i, s in enumerate(cw["name"]):
            j = self.services.index(s)
            enr = cw["kind"][i] == "enrolment"
            r = [nice(s), cw["kind"][i], fmt_num(float(cw["demand"][i])), fmt_num(float(cw["served_in_time"][i])),
                 pct(cw["coverage"][i]), pct(cw["coverage_resident_weighted"][i]),
                 pct(cw["share_communities_below_target"][i], 0), pct(cw["worst_decile_coverage"][i]),
                 f"{cw['gini'][i]:.3f}", "–" if enr else fmt_minutes(cw["mean_wait_min"][i]),
                 "–" if enr else fmt_minutes(cw["p90_wait_min"][i]), fmt_num(float(cw["unmet"][i])),
                 fmt_num(float(cw["backlog_end"][i]))]
            if nrep > 1:
                mu, hw, _ = mean_ci(self.cov[bmask, j])
                r.insert(5, f"{100 * mu:.1f} ± {100 * hw:.1f} %")
            rows.append(r)
        note = (f"Citywide metrics of {html.escape(self.rep_desc)}. Coverage = served in time ÷ demand "
                f"(enrolment services: enrolled ÷ wanting person-days); target {100 * self.target:.0f} %. "
                "Waits: min = minutes, h = hours, d = days.")
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
        return html_table(["fact", "value"], rows, numeric_from=1, cls="facts")

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

    def compliance_table(self):
        cm = self.rep.communities()
        C = len(cm)
        over, micro = cm["oversized"].astype(bool), cm["micro"].astype(bool)

        def row(norm, rule, ok):
            k = int(np.sum(ok))
            return [norm, rule, fmt_num(k), pct(k / C if C else np.nan), fmt_num(C - k)]

        rows = [
            ["N1.1", "size band: micro (below the band, to be merged)", fmt_num(int(micro.sum())),
             pct(micro.sum() / C), "–"],
            ["N1.1", "size band: within 1,000–5,000 households", fmt_num(int((~over & ~micro).sum())),
             pct((~over & ~micro).sum() / C), "–"],
            ["N1.1", "size band: oversized (above the band, to be split)", fmt_num(int(over.sum())),
             pct(over.sum() / C), "–"],
            row("N1", "community size complies with the policy in force", cm["size_ok"]),
            row("N2.1/N2.3", "indoor facility area ≥ 30 m² per 100 households (≥ 600 m² new small)", cm["facility_ok"]),
            row("N2.4", "activity share of the facility ≥ 60 %", cm["activity_ok"]),
            row("N3.2/N3.4", "committee size by household band, both committees ≤ 11", cm["committee_ok"]),
            row("N3.5", "community workers ≥ 18 per 10,000 residents", cm["workers_ok"]),
        ]
        return (html_table(["norm", "rule", "communities complying", "share", "not complying"], rows,
                           numeric_from=2) +
                f'<p class="note">Against the policy in force in the scenario ({C} communities, '
                f'{html.escape(self.rep_desc)}). Size-band rows count communities per band.</p>')

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

    def calibration_table(self):
        """Observed targets against the run (commsim run --targets ... --summary-json)."""
        if not self.calibration:
            return ""
        rows = []
        within = 0
        for t in self.calibration:
            within += bool(t.get("within"))
            rows.append((t.get("name", ""), fmt_num(t.get("observed"), 3), fmt_num(t.get("tolerance"), 3),
                         fmt_num(t.get("simulated"), 3), "yes" if t.get("within") else "NO", t.get("source", "")))
        return (html_table(["target", "observed", "tolerance", "simulated", "within", "source"], rows, numeric_from=1) +
                f'<p class="note">{within} of {len(rows)} targets within tolerance (|simulated − observed| ≤ '
                'tolerance; simulated = mean over replicates). Sources: docs/sources.md; how each target is '
                'computed: docs/calibration.md.</p>')

    # assemble --------------------------------------------------------------------------------
    def build(self):
        os.makedirs(self.outdir, exist_ok=True)
        self.fig_coverage_distribution()
        self.fig_map()
        self.fig_district_coverage()
        self.fig_waits()
        self.fig_daily_wait()
        self.fig_worker_time()
        self.fig_cost()
        self.fig_coverage_vs_staffing()
        self.fig_heatmap()
        self.fig_paired()
        self.fig_sensitivity()
        self.fig_response_curve()
        self.fig_headroom()
        self.fig_uncertainty()
        path = os.path.join(self.outdir, "index.html")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.html())
        return path

    def html(self):
        o = self.out
        prov = o.provenance
        title = f"commsim report — {o.scenario_name}"
        sections = [
            ("summary", "Summary", self.facts_table() + "<h3>Citywide metrics per service</h3>" +
             self.summary_table()),
            ("coverage", "Coverage", ""),
            ("districts", "Districts", self.district_table()),
            ("timeliness", "Timeliness", ""),
            ("workforce", "Workforce", self.roles_table()),
            ("cost", "Cost", ""),
            ("compliance", "Norm compliance", self.compliance_table()),
            ("calibration", "Calibration targets", self.calibration_table()),
            ("study", "Study", self.study_tables()),
            ("sensitivity", "Sensitivity", ""),
            ("curve", "Response curve", self.curve_tables()),
            ("headroom", "Headroom", self.headroom_tables()),
            ("uncertainty", "Uncertainty", self.uncertainty_tables()),
        ]
        fignum = {f["id"]: k + 1 for k, f in enumerate(self.figures)}
        body = []
        toc = []
        for sid, name, extra in sections:
            figs = [f for f in self.figures if f["section"].lower() == name.lower()]
            if sid == "study" and not o.is_study and not figs:
                continue
            if sid == "sensitivity" and not figs:
                continue
            if sid in ("curve", "headroom", "uncertainty") and not figs and not extra:
                continue
            if sid in ("calibration", "districts") and not extra:
                continue
            toc.append(f'<a href="#{sid}">{html.escape(name)}</a>')
            chunk = [f'<section id="{sid}"><h2>{html.escape(name)}</h2>']
            if sid in ("workforce",):
                chunk.append(self._figs_html(figs, fignum))
                chunk.append(extra)
            else:
                chunk.append(extra)
                chunk.append(self._figs_html(figs, fignum))
            chunk.append("</section>")
            body.append("\n".join(chunk))
        if self.skipped:
            toc.append('<a href="#notshown">Not shown</a>')
            items = "".join(f"<li><b>{html.escape(t)}</b>: {html.escape(r)}.</li>" for t, r in self.skipped)
            body.append(f'<section id="notshown"><h2>Figures not shown for this file</h2><ul class="skipped">'
                        f'{items}</ul></section>')
        meta_rows = [("scenario", prov.get("scenario_name")), ("file kind", o.kind),
                     ("master seed", prov.get("seed")), ("runs in file", len(o.runs)),
                     ("program version", prov.get("version")), ("git commit", prov.get("git_commit")),
                     ("scenario file", prov.get("scenario_file")), ("command line", prov.get("command_line")),
                     ("output file", os.path.basename(o.path)), ("runs used for per-community figures", self.rep_desc)]
        meta = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in meta_rows if v is not None)
        yaml = html.escape(str(prov.get("scenario_yaml", "")))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="commsim analysis/report.py">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p class="sub">{self.provenance_line()} · {len(self.figures)} figures</p>
<nav>{" ".join(toc)}</nav>
</header>
<main>
<section id="provenance"><h2>Provenance</h2>
<table class="meta">{meta}</table>
<details><summary>Resolved scenario (YAML)</summary><pre>{yaml}</pre></details>
</section>
{chr(10).join(body)}
</main>
<footer>Generated by commsim <code>analysis/report.py</code> from <code>{html.escape(os.path.basename(o.path))}</code>.
Figures are also saved beside this page as PNG and SVG.</footer>
</body>
</html>
"""

    def _figs_html(self, figs, fignum):
        out = []
        for f in figs:
            with open(os.path.join(self.outdir, f["png"]), "rb") as fh:
                data = base64.b64encode(fh.read()).decode("ascii")
            n = fignum[f["id"]]
            out.append(
                f'<figure id="fig-{f["id"]}">'
                f'<img src="data:image/png;base64,{data}" alt="Figure {n}: {html.escape(f["title"])}" '
                f'data-file="{f["png"]}">'
                f'<figcaption><b>Figure {n}. {html.escape(f["title"])}.</b> {f["caption"]} '
                f'<span class="dl"><a href="{f["png"]}">PNG</a> · <a href="{f["svg"]}">SVG</a></span>'
                f'</figcaption></figure>')
        return "\n".join(out)


def html_table(cols, rows, numeric_from=1, cls=""):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for k, v in enumerate(r):
            num = ' class="num"' if k >= numeric_from else ""
            cells.append(f"<td{num}>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    c = f' class="{cls}"' if cls else ""
    return f'<div class="tablewrap"><table{c}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


CSS = """
:root { --ink:#1d2733; --muted:#5b6776; --line:#d9dee5; --accent:#0b5394; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", Arial, sans-serif;
       color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:3px solid var(--accent); padding:18px 32px 10px; position:sticky; top:0; z-index:2; }
h1 { margin:0 0 2px; font-size:24px; font-weight:600; }
.sub { margin:0 0 8px; color:var(--muted); font-size:13px; }
nav a { display:inline-block; margin:0 14px 4px 0; color:var(--accent); text-decoration:none; font-size:13px; font-weight:600; }
nav a:hover { text-decoration:underline; }
main { max-width:1200px; margin:0 auto; padding:8px 32px 32px; }
section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:6px 24px 18px; margin:22px 0; }
h2 { font-size:19px; font-weight:600; border-bottom:1px solid var(--line); padding-bottom:6px; margin:14px 0 12px; }
h3 { font-size:15px; font-weight:600; margin:18px 0 8px; }
figure { margin:18px 0 26px; }
figure img { display:block; max-width:100%; height:auto; margin:0 auto; border:1px solid #eef0f3; }
figcaption { font-size:13px; color:var(--muted); margin-top:8px; max-width:920px; margin-left:auto; margin-right:auto; }
figcaption b { color:var(--ink); }
.dl { white-space:nowrap; margin-left:6px; }
.dl a { color:var(--accent); }
.tablewrap { overflow-x:auto; }
table { border-collapse:collapse; font-size:12.5px; width:100%; margin:6px 0; }
table.facts { width:auto; min-width:480px; }
th, td { padding:4px 7px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
thead th { background:#eef2f7; border-bottom:2px solid #b9c3cf; font-weight:600; }
tbody tr:nth-child(even) { background:#fafbfc; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
table.meta { width:auto; }
table.meta th { background:none; width:260px; color:var(--muted); font-weight:600; border-bottom:1px solid var(--line); }
table.meta td { font-family:ui-monospace, "DejaVu Sans Mono", monospace; font-size:12px; word-break:break-all; }
.note { font-size:12.5px; color:var(--muted); margin:4px 0 10px; }
details { margin:10px 0; }
summary { cursor:pointer; color:var(--accent); font-weight:600; font-size:13px; }
pre { background:#f3f5f8; border:1px solid var(--line); padding:10px; font-size:11.5px; max-height:420px; overflow:auto; }
ul.skipped li { margin:4px 0; }
footer { text-align:center; color:var(--muted); font-size:12px; padding:10px 0 30px; }
@media print { header { position:static; } section { break-inside:avoid-page; border:none; } body { background:#fff; } }
"""


def main(argv=None):
    p = argparse.ArgumentParser(description="figures and an HTML report from a commsim output file")
    p.add_argument("file", help="commsim output (.h5): a single run or a study")
    p.add_argument("-o", "--outdir", required=True, help="directory for index.html and the figure files")
    p.add_argument("--service", help="service shown on the map (default: the one with the lowest coverage)")
    p.add_argument("--run", help="run (position or group name) for per-community figures "
                                 "(default: first successful run of the base variant)")
    p.add_argument("--summary-json", help="the run's --summary-json document: its calibration targets "
                                          "(commsim run --targets) are shown in a table")
    a = p.parse_args(argv)
    calibration = None
    if a.summary_json:
        try:
            with open(a.summary_json, encoding="utf-8") as fh:
                calibration = json.load(fh).get("calibration", {}).get("targets")
        except (OSError, ValueError) as e:
            print(f"report: error: {a.summary_json}: {e}", file=sys.stderr)
            return 2
        if calibration is None:
            print(f"report: error: {a.summary_json} has no calibration targets (run with --targets)", file=sys.stderr)
            return 2
    try:
        with open_output(a.file) as out:
            run = None
            if a.run is not None:
                run = a.run if a.run in out.runs else int(a.run)
            rep = Report(out, a.outdir, service=a.service, run=run, calibration=calibration)
            path = rep.build()
    except CommsimFileError as e:
        print(f"report: error: {e}", file=sys.stderr)
        return 2
    print(f"{path}: {len(rep.figures)} figures" +
          (f"; not shown: {', '.join(t for t, _ in rep.skipped)}" if rep.skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
