"""python3 -m commsim_report OUT.h5 -o DIR (from analysis/): the same as analysis/report.py."""

import sys

from .cli import main

sys.exit(main())
