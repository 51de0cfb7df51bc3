"""The Report: loads a commsim output file, draws every figure that applies (each section's module
draws its own) and writes DIR/index.html. Sections: summary, coverage, districts, timeliness, workforce,
cost, compliance (and calibration), study, sensitivity, curve, headroom, uncertainty, pareto; page assembles them."""

import html
import os

import matplotlib.pyplot as plt
import numpy as np

from commsim_h5 import CommsimFileError

from .base import write_text_atomic
from .cities import CitiesSection
from .compliance import ComplianceSection
from .cost import CostSection
from .coverage import CoverageSection
from .curve import CurveSection
from .districts import DistrictsSection
from .nation import NationSection
from .headroom import HeadroomSection
from .page import Page
from .pareto import ParetoSection, load_pareto
from .sensitivity import SensitivitySection
from .size import SizeSection
from .study import StudySection
from .summary import SummarySection
from .timeliness import TimelinessSection
from .uncertainty import UncertaintySection
from .workforce import WorkforceSection


class Report(SummarySection, CoverageSection, DistrictsSection, NationSection, TimelinessSection, WorkforceSection, CostSection,
             ComplianceSection, StudySection, SizeSection, CitiesSection, SensitivitySection, CurveSection, HeadroomSection,
             UncertaintySection, ParetoSection, Page):
    def __init__(self, out, outdir, service=None, run=None, calibration=None, pareto=None):
        self.out = out
        self.pareto = None if pareto is None else load_pareto(pareto)  # --pareto: a commsim pareto front
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

    # The parts of curve, headroom and uncertainty files: (part, figure title, why not shown without it).
    FILE_PARTS = (("curve", "Response curve", "needs a response-curve file (commsim curve)"),
                  ("headroom", "Demand headroom", "needs a headroom file (commsim headroom)"),
                  ("uncertainty", "Uncertainty bands",
                   "needs an uncertainty file (commsim run --uncertainty N -o FILE)"))

    def file_part_figures(self):
        """Each file part's figure (fig_response_curve, fig_headroom, fig_uncertainty), or the figure listed
        as not shown; the part is kept as self.<part> for its section's tables."""
        draw = {"curve": self.fig_response_curve, "headroom": self.fig_headroom, "uncertainty": self.fig_uncertainty}
        for name, title, reason in self.FILE_PARTS:
            data = getattr(self.out, name)()
            setattr(self, name, data)
            if data is None:
                self.skip(title, reason)
            else:
                draw[name](data, title)

    def part_tables(self, name, tables):
        """tables(part) for the file part name, or "" when the file has none."""
        data = getattr(self, name, None)
        return "" if data is None else tables(data)

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

    def build(self):
        os.makedirs(self.outdir, exist_ok=True)
        self.fig_coverage_distribution()
        self.fig_map()
        self.fig_district_coverage()
        self.fig_province_map()
        self.fig_waits()
        self.fig_daily_wait()
        self.fig_worker_time()
        self.fig_cost()
        self.fig_coverage_vs_staffing()
        self.fig_heatmap()
        self.fig_size_response()
        self.fig_cities_norms()
        self.fig_paired()
        self.fig_sensitivity()
        self.file_part_figures()
        self.fig_pareto_front()
        path = os.path.join(self.outdir, "index.html")
        write_text_atomic(path, self.html())   # the page is made first; a failure keeps the previous one
        return path
