#!/usr/bin/python3
"""Figures and a self-contained HTML report from a commsim output file (run, study, response curve,
headroom or uncertainty file).

    report.py OUT.h5 -o DIR [--service NAME] [--run N] [--summary-json SUMMARY.json] [--pareto FRONT]

The entry point; the report itself is the package analysis/commsim_report/ (one module per report
section; its __init__ says what the report holds). Exit status 2 with a message for a file that is not
a complete commsim output.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from commsim_report import *  # noqa: E402,F401,F403 (Report, main and the formats)
from commsim_report import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
