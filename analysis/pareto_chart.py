#!/usr/bin/python3
"""Chart of a trade-off front from `commsim pareto --json` (docs/planning.md).

    commsim pareto SCENARIO ... --json > front.json
    pareto_chart.py front.json -o front.png

Plots the first two objectives of the front's points, joined in the order of the first objective,
each point labelled with its lever values. Exit status 2 for a file that is not such a document.
"""

import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def fail(message):
    print(f"pareto_chart.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def load_front(path):
    try:
        with (sys.stdin if path == "-" else open(path, encoding="utf-8")) as f:
            doc = json.load(f)
        front = doc["front"]
        names = list(front[0]["objectives"].keys())
    except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
        fail(f"{path}: not a commsim pareto --json document with a front ({e})")
    if len(names) < 2:
        fail(f"{path}: the front has fewer than two objectives")
    return front, names


def short(key):
    return key.split(".")[-2] + "." + key.split(".")[-1] if key.count(".") >= 1 else key


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("front", help="the JSON document of commsim pareto --json ('-' = stdin)")
    p.add_argument("-o", "--output", default="pareto-front.png", help="the PNG to write")
    a = p.parse_args()
    front, names = load_front(a.front)
    points = sorted(front, key=lambda q: q["objectives"][names[0]])
    x = [q["objectives"][names[0]] for q in points]
    y = [q["objectives"][names[1]] for q in points]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(x, y, "o-", color="#1f5f8b")
    for q, xi, yi in zip(points, x, y):
        label = " / ".join(f"{v:g}" for v in q["levers"].values())
        ax.annotate(label, (xi, yi), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.text(0.99, 0.98, "labels: " + " / ".join(short(k) for k in points[0]["levers"]), transform=ax.transAxes,
            ha="right", va="top", fontsize=8)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"trade-off front: {len(points)} points no other point dominates")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(a.output, dpi=110, bbox_inches="tight")
    print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
