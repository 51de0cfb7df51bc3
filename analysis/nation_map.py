#!/usr/bin/python3
"""Province map of a `commsim regions --level province -o REGIONS.csv` table (issue 27, docs/nation.md).

usage: /usr/bin/python3 analysis/nation_map.py REGIONS.csv -o MAP.png [--value COLUMN] [--title TEXT]

Each province is a disc at its capital (longitude, latitude; approximate coordinates below), its area
in proportion to the residents simulated there and its colour the chosen column (default
unmet_hours_per_10k), with the value printed next to it. No boundaries are drawn: the repository
ships no province outlines, and the positions are enough to read the geography of a finding. Rows
whose code has no capital here (e.g. a stray census code) are listed on stderr and left out.
Exit status 2 on a missing file or column, with one line on stderr.
"""

import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from commsim_report.fonts import configure_fonts  # noqa: E402
from commsim_report.nation import draw_province_map  # noqa: E402

def fail(message):
    print(f"nation_map.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def read_rows(path, column):
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    if not rows or column not in rows[0]:
        fail(f"{path}: no column '{column}' (columns: {', '.join(rows[0].keys()) if rows else 'none'})")
    return rows


def draw(rows, column, title, out):
    configure_fonts()
    fig, ax = plt.subplots(figsize=(10, 7.5))
    sc, left_out = draw_province_map(ax, rows, column)
    for code in left_out:
        print(f"nation_map.py: {code}: no capital known, left out", file=sys.stderr)
    fig.colorbar(sc, ax=ax, label=column)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("regions")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--value", default="unmet_hours_per_10k")
    p.add_argument("--title", default=None)
    a = p.parse_args()
    rows = read_rows(a.regions, a.value)
    draw(rows, a.value, a.title or f"{a.value} by province (disc area: residents)", a.output)
    print(a.output)


if __name__ == "__main__":
    main()
