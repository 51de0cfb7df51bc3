#!/usr/bin/python3
"""Derives the per-district targets of the population generator from the shipped census table.

For a prefecture-level city (default 610100, Xi'an) and each of its districts and counties (the
rows whose code shares the city's first four digits), computes from
scenarios/data/census-county-2020.csv: population, urban population and share, shares aged 60+,
65+, 80+ and 0-14 (sums of 5-year bands), an estimate of the share aged 0-2 (age 0 + 2/4 of the
1-4 band), mean household size (published 户规模 and family-household population / family
households), and the shares of family households that are one-person, of three or more
generations, and have a member aged 65+. Standard library only (Debian's /usr/bin/python3):

    /usr/bin/python3 scripts/census_targets.py > scenarios/data/census-targets-610100.csv
    /usr/bin/python3 scripts/census_targets.py --markdown      # the table of docs/population-data.md

Shares are in per cent with 4 decimals; tests/population/census_test.cpp recomputes every value
with the C++ reader and compares.
"""
import argparse
import csv
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANDS = ["0岁", "1到4岁", "5到9岁", "10到14岁", "15到19岁", "20到24岁", "25到29岁", "30到34岁", "35到39岁",
         "40到44岁", "45到49岁", "50到54岁", "55到59岁", "60到64岁", "65到69岁", "70到74岁", "75到79岁",
         "80到84岁", "85岁以上"]
FIRST_AGE = [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85]
COLUMNS = ["code", "name", "population", "urban_population", "urban_share_pct", "share_0_14_pct",
           "est_share_0_2_pct", "share_60_plus_pct", "share_65_plus_pct", "share_80_plus_pct",
           "family_households", "mean_household_size_published", "mean_household_size_computed",
           "one_person_share_pct", "three_plus_generation_share_pct", "households_with_65_plus_share_pct"]


def count(row, column):
    value = row[column]
    return 0 if value == "NA" else int(value)


def aged(row, first, last=None):
    """Residents in the bands from age `first` to the band that ends at `last` (None: 85+)."""
    total = 0
    for i, band in enumerate(BANDS):
        band_last = FIRST_AGE[i + 1] - 1 if i + 1 < len(BANDS) else None
        if FIRST_AGE[i] >= first and (last is None or (band_last is not None and band_last <= last)):
            total += count(row, "男_" + band) + count(row, "女_" + band)
    return total


def targets(row):
    pop = count(row, "人口数_合计")
    hh = count(row, "家庭户数")
    pct = lambda part, whole: f"{100.0 * part / whole:.4f}"
    age0 = aged(row, 0, 0)
    age1_4 = aged(row, 1, 4)
    return {
        "code": row["区划代码"], "name": row["区县"], "population": pop,
        "urban_population": count(row, "城镇人口"), "urban_share_pct": pct(count(row, "城镇人口"), pop),
        "share_0_14_pct": pct(aged(row, 0, 14), pop),
        "est_share_0_2_pct": pct(age0 + 0.5 * age1_4, pop),
        "share_60_plus_pct": pct(aged(row, 60), pop), "share_65_plus_pct": pct(aged(row, 65), pop),
        "share_80_plus_pct": pct(aged(row, 80), pop),
        "family_households": hh, "mean_household_size_published": f"{float(row['户规模']):.2f}",
        "mean_household_size_computed": f"{count(row, '家庭户人口数') / hh:.4f}",
        "one_person_share_pct": pct(count(row, "一人户数"), hh),
        "three_plus_generation_share_pct": pct(count(row, "三代户数") + count(row, "四代以上户数"), hh),
        "households_with_65_plus_share_pct": pct(count(row, "有65岁及以上老年人口的户数"), hh),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", default=os.path.join(ROOT, "scenarios/data/census-county-2020.csv"))
    parser.add_argument("--city", default="610100", help="6-digit code of a prefecture-level city (xxxx00)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table instead of CSV")
    args = parser.parse_args()
    with open(args.table, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["区划代码"][:4] == args.city[:4]]
    city = [r for r in rows if r["区划代码"] == args.city]
    units = [r for r in rows if r["区划代码"] != args.city]
    if not city or not units:
        sys.exit(f"{args.table}: no city row {args.city} or no rows of its districts")
    out = [targets(r) for r in units + city]
    if args.markdown:
        # (heading, column, format): counts with thousands separators, shares with 2 decimals.
        layout = [("code", "code", "{}"), ("unit", "name", "{}"), ("population", "population", "{:,}"),
                  ("urban", "urban_population", "{:,}"), ("urban %", "urban_share_pct", "{:.2f}"),
                  ("0-14 %", "share_0_14_pct", "{:.2f}"), ("0-2 % (est.)", "est_share_0_2_pct", "{:.2f}"),
                  ("60+ %", "share_60_plus_pct", "{:.2f}"), ("65+ %", "share_65_plus_pct", "{:.2f}"),
                  ("80+ %", "share_80_plus_pct", "{:.2f}"), ("households", "family_households", "{:,}"),
                  ("size", "mean_household_size_published", "{}"),
                  ("1-person %", "one_person_share_pct", "{:.2f}"),
                  ("3+ gen. %", "three_plus_generation_share_pct", "{:.2f}"),
                  ("with 65+ %", "households_with_65_plus_share_pct", "{:.2f}")]
        print("| " + " | ".join(h for h, _, _ in layout) + " |")
        print("|" + "---|" * len(layout))
        for t in out:
            cells = [fmt.format(float(t[c]) if ".2f" in fmt else t[c]) for _, c, fmt in layout]
            print("| " + " | ".join(cells) + " |")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for t in out:
        writer.writerow(t)


if __name__ == "__main__":
    main()
