"""Command line: report.py OUT.h5 -o DIR [--service NAME] [--run N] [--summary-json SUMMARY.json] [--pareto FRONT]."""

import argparse
import json
import sys

from commsim_h5 import CommsimFileError, open_output

from .core import Report


def main(argv=None):
    p = argparse.ArgumentParser(description="figures and an HTML report from a commsim output file")
    p.add_argument("file", help="commsim output (.h5): a single run or a study")
    p.add_argument("-o", "--outdir", required=True, help="directory for index.html and the figure files")
    p.add_argument("--service", help="service shown on the map (default: the one with the lowest coverage)")
    p.add_argument("--run", help="run (position or group name) for per-community figures "
                                 "(default: first successful run of the base variant)")
    p.add_argument("--summary-json", help="the run's --summary-json document: its calibration targets "
                                          "(commsim run --targets) are shown in a table")
    p.add_argument("--pareto", help="a commsim pareto file (-o FILE.h5) or its --json document: the trade-off "
                                    "front's chart and table")
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
            rep = Report(out, a.outdir, service=a.service, run=run, calibration=calibration, pareto=a.pareto)
            path = rep.build()
    except CommsimFileError as e:
        print(f"report: error: {e}", file=sys.stderr)
        return 2
    print(f"{path}: {len(rep.figures)} figures" +
          (f"; not shown: {', '.join(t for t, _ in rep.skipped)}" if rep.skipped else ""))
    return 0
