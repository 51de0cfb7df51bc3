"""The Trade-off front section (commsim pareto, docs/planning.md): with --pareto FILE (the pareto file
of `commsim pareto -o FILE.h5`, or its `--json` document), the front's first two objectives as a chart,
each point labelled with its levers, and a table of every point's levers and objectives."""

import html
import json

import h5py
import matplotlib.pyplot as plt

from commsim_h5 import CommsimFileError

from .base import html_table, nice


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def load_pareto(path):
    """The front of a pareto file (.h5) or a pareto --json document: dict(levers, objectives, senses, points),
    points a list of (lever values, objective values); CommsimFileError for anything else."""
    try:
        if h5py.is_hdf5(path):
            with h5py.File(path, "r") as f:
                p = f["pareto"]
                levers = [_text(k) for k in p["levers/key"][:]]
                names = [_text(k) for k in p["objectives/name"][:]]
                senses = [_text(k) for k in p["objectives/sense"][:]]
                lv, ov = p["front_levers/value"][:], p["front_objectives/value"][:]
                points = [(list(map(float, lv[i])), list(map(float, ov[i]))) for i in range(len(ov))]
        else:
            with open(path, encoding="utf-8") as fh:
                front = json.load(fh)["front"]
            levers, names = list(front[0]["levers"]), list(front[0]["objectives"])
            senses = ["" for _ in names]
            points = [([float(q["levers"][k]) for k in levers], [float(q["objectives"][n]) for n in names])
                      for q in front]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
        raise CommsimFileError(f"{path}: not a commsim pareto file or --json document with a front ({e})")
    if len(names) < 2 or not points:
        raise CommsimFileError(f"{path}: the front needs at least one point and two objectives")
    return dict(levers=levers, objectives=names, senses=senses, points=sorted(points, key=lambda q: q[1][0]))


def _short(key):
    parts = key.split(".")
    return ".".join(parts[-2:])


class ParetoSection:
    def pareto_table(self):
        p = getattr(self, "pareto", None)
        if p is None:
            return ""
        head = [nice(_short(k)) for k in p["levers"]] + [nice(n) for n in p["objectives"]]
        rows = [[f"{v:g}" for v in lv] + [f"{v:,.6g}" for v in ov] for lv, ov in p["points"]]
        text = (f"{len(rows)} points of the front: none is better than another in every objective "
                "(commsim pareto; run one with <code>commsim run</code> and <code>--set KEY=value</code> per lever).")
        return f"<p>{text}</p>" + html_table(head, rows, numeric_from=0)

    def fig_pareto_front(self):
        p = getattr(self, "pareto", None)
        if p is None:
            return
        names = p["objectives"]
        x = [ov[0] for _, ov in p["points"]]
        y = [ov[1] for _, ov in p["points"]]
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        ax.plot(x, y, "o-", color="#1f5f8b", markerfacecolor="white")
        for (lv, _), xi, yi in zip(p["points"], x, y):
            ax.annotate(" / ".join(f"{v:g}" for v in lv), (xi, yi), textcoords="offset points", xytext=(6, 4),
                        fontsize=8)
        ax.set_xlabel(nice(names[0]))
        ax.set_ylabel(nice(names[1]))
        ax.set_title(f"Trade-off front: {len(x)} points no other point dominates")
        ax.grid(alpha=0.3)
        cap = (f"The front of commsim pareto: {html.escape(names[0])} against {html.escape(names[1])}, each point "
               f"labelled with its levers ({html.escape(' / '.join(_short(k) for k in p['levers']))})")
        self.save(fig, "pareto_front", "Trade-off front", "Trade-off front", self.caption(cap, run=False))
