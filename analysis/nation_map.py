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

# Provincial capitals (longitude E, latitude N), to about 0.1 degree: province code -> (lon, lat).
CAPITALS = {
    "110000": (116.4, 39.9), "120000": (117.2, 39.1), "130000": (114.5, 38.0), "140000": (112.5, 37.9),
    "150000": (111.7, 40.8), "210000": (123.4, 41.8), "220000": (125.3, 43.8), "230000": (126.5, 45.8),
    "310000": (121.5, 31.2), "320000": (118.8, 32.1), "330000": (120.2, 30.3), "340000": (117.2, 31.8),
    "350000": (119.3, 26.1), "360000": (115.9, 28.7), "370000": (117.0, 36.7), "410000": (113.6, 34.7),
    "420000": (114.3, 30.6), "430000": (112.9, 28.2), "440000": (113.3, 23.1), "450000": (108.4, 22.8),
    "460000": (110.3, 20.0), "500000": (106.5, 29.6), "510000": (104.1, 30.6), "520000": (106.6, 26.6),
    "530000": (102.8, 24.9), "540000": (91.1, 29.7), "610000": (108.9, 34.3), "620000": (103.8, 36.1),
    "630000": (101.8, 36.6), "640000": (106.2, 38.5), "650000": (87.6, 43.8),
}


SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def short_name(name):
    """内蒙古自治区 -> 内蒙古, 广东省 -> 广东."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


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
    placed = [r for r in rows if r["code"] in CAPITALS]
    for r in rows:
        if r["code"] not in CAPITALS:
            print(f"nation_map.py: {r['code']} {r['name']}: no capital known, left out", file=sys.stderr)
    values = [float(r[column]) for r in placed]
    sizes = [float(r["residents"]) / 1e5 for r in placed]
    fig, ax = plt.subplots(figsize=(10, 7.5))
    sc = ax.scatter([CAPITALS[r["code"]][0] for r in placed], [CAPITALS[r["code"]][1] for r in placed], s=sizes,
                    c=values, cmap="viridis_r" if "coverage" in column else "magma_r", edgecolors="0.2", linewidths=0.5)
    for r, v in zip(placed, values):
        lon, lat = CAPITALS[r["code"]]
        text = f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"
        ax.annotate(f"{short_name(r['name'])} {text}", (lon, lat), xytext=(6, 4), textcoords="offset points", fontsize=7)
    fig.colorbar(sc, ax=ax, label=column)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(title)
    ax.set_aspect(1.2)
    ax.grid(alpha=0.3)
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
