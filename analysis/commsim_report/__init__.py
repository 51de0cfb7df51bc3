"""Figures and a self-contained HTML report from a commsim output file (run, study, response curve,
headroom or uncertainty file).

    report.py OUT.h5 -o DIR [--service NAME] [--run N] [--summary-json SUMMARY.json] [--pareto FRONT]

Writes DIR/<figure>.png and DIR/<figure>.svg for every figure that applies to the file, and
DIR/index.html with the PNGs embedded as data URIs (the page needs no other file), links to the
PNG/SVG files, a summary table of citywide metrics per service, the workforce table and the norm
compliance table; for a sensitivity study (design: morris or sobol, docs/sensitivity.md) the tornado
charts of Morris mu* with sigma, or the Sobol index bars with their intervals, per outcome, and the
ranking tables; for `commsim run --uncertainty` the band chart (point run, median and 90 % band per
outcome); with the run's --summary-json from `commsim run --targets`, the calibration
targets; with --pareto FRONT (commsim pareto -o FILE.h5 or its --json), the trade-off front's
chart and table. Figures are readable in black and white (line styles, markers and hatches, not
colour alone). Figures that need a study file are listed in the report when the input is a single run.
Exit status 2 with a message for a file that is not a complete commsim output.

The package has one module per report section (summary, coverage, districts, timeliness, workforce,
cost, compliance, study, sensitivity, curve, headroom, uncertainty, pareto), base (style, formats, tables),
page (the HTML page), core (the Report) and cli (the command line). analysis/report.py and
`python3 -m commsim_report` (from analysis/) both run cli.main.
"""

from .base import fmt_minutes, fmt_num, html_table, nice, parameter_labels, pct
from .cli import main
from .core import Report

__all__ = ["Report", "fmt_minutes", "fmt_num", "html_table", "main", "nice", "parameter_labels", "pct"]
