#!/usr/bin/python3
"""Export a table of a commsim output file (run or study) to CSV for spreadsheets.

    to_csv.py OUT.h5 --list
    to_csv.py OUT.h5 citywide-services -o services.csv
    to_csv.py OUT.h5 communities --run 3
    to_csv.py OUT.h5 daily --run 0 -o daily.csv

Without -o the CSV goes to standard output. --run N picks the run by position (0-based, the order of
/runs) or by group name (e.g. 0003); default 0. Floats are written with full precision, so values
round-trip exactly. Exit status 2 for a bad file or table, with a message on standard error.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from commsim_h5 import CommsimFileError, open_output  # noqa: E402

TABLES = {
    "citywide-services": ("one row per service: citywide coverage, waits, demand (citywide/services)",
                          lambda out, run: run.citywide_services()),
    "citywide-roles": ("one row per role: staff, utilisation, overtime, pay (citywide/roles)",
                       lambda out, run: run.citywide_roles()),
    "communities": ("one row per community: size, position, staff per role, compliance, facility, costs",
                    lambda out, run: run.communities()),
    "totals": ("one row per community x service: run totals (coverage, demand, served, waits)",
               lambda out, run: run.totals_table("services")),
    "totals-roles": ("one row per community x role: worker minutes (available, busy, travel, overhead)",
                     lambda out, run: run.totals_table("roles")),
    "daily": ("one row per community x day x service (daily/; needs run.daily_output)",
              lambda out, run: run.daily_table("services")),
    "daily-roles": ("one row per community x day x role: worker minutes per day",
                    lambda out, run: run.daily_table("roles")),
    "wait-histogram": ("one row per service x non-empty wait bin (minutes)",
                       lambda out, run: run.wait_histogram_table()),
    "run-attributes": ("the run group's attributes (seed, days, costs, access share)",
                       lambda out, run: run.run_scalars()),
    "study": ("one row per run of a study: variant, replicate, seed, status, wall_s, axis values "
              "(a single-run file gives one row per replicate)",
              lambda out, run: out.study_table()),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="tables:\n" + "\n".join(f"  {k:18s} {v[0]}" for k, v in TABLES.items()))
    p.add_argument("file", help="commsim output (.h5)")
    p.add_argument("table", nargs="?", help="table to export (see --list)")
    p.add_argument("-o", "--output", help="CSV file to write (default: standard output)")
    p.add_argument("--run", default="0", help="run by position or group name (default 0)")
    p.add_argument("--units", action="store_true", help="add units to the header, e.g. 'wait [minutes]'")
    p.add_argument("--list", action="store_true", help="list the tables and exit")
    a = p.parse_args(argv)

    try:
        with open_output(a.file) as out:
            if a.list:
                run0 = out.run(0)
                print(f"{a.file}: {out.kind} '{out.scenario_name}', seed {out.seed}, {len(out.runs)} run(s) "
                      f"({', '.join(out.runs[:8])}{' ...' if len(out.runs) > 8 else ''})")
                for k, (desc, _) in TABLES.items():
                    note = ""
                    if k.startswith("daily") and not run0.has_daily:
                        note = "  [not in this file]"
                    print(f"  {k:18s} {desc}{note}")
                return 0
            if not a.table:
                p.error("a TABLE is required (see --list)")
            if a.table not in TABLES:
                raise CommsimFileError(f"unknown table {a.table!r}; tables: {', '.join(TABLES)}")
            sel = a.run
            if sel not in out.runs:
                try:
                    sel = int(sel)
                except ValueError:
                    pass
            run = out.run(sel)
            table = TABLES[a.table][1](out, run)
            if a.output:
                with open(a.output, "w", newline="", encoding="utf-8") as fh:
                    table.write_csv(fh, a.units)
                print(f"{a.output}: {len(table)} rows, {len(table.keys())} columns", file=sys.stderr)
            else:
                table.write_csv(sys.stdout, a.units)
    except CommsimFileError as e:
        print(f"to_csv: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
