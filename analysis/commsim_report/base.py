"""Shared pieces of the report sections: the figure style (colours, line styles, markers, hatches, fonts),
number formats, axis labels and the HTML table."""

import html
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # analysis/: commsim_h5

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .fonts import configure_fonts  # noqa: E402

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
CJK_FONT = configure_fonts()   # the CJK family figures fall back to, or None


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


def clean_text(text):
    """text with the bytes that were not UTF-8 (read as lone surrogates, e.g. a scenario name such as
    "caf\\xe9") replaced by U+FFFD, so that it can be written as UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:   # surrogates that are no escaped bytes
        return text.encode("utf-8", "replace").decode("utf-8")


def write_text_atomic(path, text):
    """Writes text to path in UTF-8 through a temporary file in the same folder, renamed over path at
    the end: a failure leaves the previous file (or none), never a half-written one."""
    data = clean_text(text).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
