#!/usr/bin/python3
"""Regenerates scenarios/data/census-county-2020.csv from the full county table.

The full table is the 2020 census county volume (中国人口普查分县资料—2020) as digitised in
GitHub leiii/census, data/census/census_county_2020_v1.xlsx, converted to CSV (153 columns,
3,358 rows). This script keeps the columns a population generator can use (KEEP below, in the
source's order, with the source's Chinese names) and the rows that have a 6-digit county code
(the national row and 45 development zones have the code `NA` and cannot be looked up by code).
Values are copied byte for byte, including `NA` and the binary-float artefacts of the
spreadsheet (2.4300000000000002), except the cells listed in CORRECTIONS. Standard library only;
run with Debian's /usr/bin/python3:

    /usr/bin/python3 scripts/census_trim.py FULL.csv scenarios/data/census-county-2020.csv
    /usr/bin/python3 scripts/census_trim.py FULL.csv scenarios/data/census-county-2020.csv --check

--check compares instead of writing and exits 1 when the shipped file differs.
"""
import argparse
import csv
import hashlib
import io
import re
import sys

# Columns kept, grouped as in scenarios/data/README.md.
IDENTITY = ["区划代码", "省", "市", "区县"]
POPULATION = ["人口数_合计", "人口数_男", "人口数_女", "城镇人口", "乡村人口", "城区人口"]
HOUSEHOLDS = ["家庭户数", "家庭户人口数", "户规模", "一人户数", "一代户数", "二代户数", "三代户数", "四代以上户数"]
AGE_BANDS = [f"{sex}_{band}" for band in
             ["0岁", "1到4岁", "5到9岁", "10到14岁", "15到19岁", "20到24岁", "25到29岁", "30到34岁",
              "35到39岁", "40到44岁", "45到49岁", "50到54岁", "55到59岁", "60到64岁", "65到69岁",
              "70到74岁", "75到79岁", "80到84岁", "85岁以上"] for sex in ("男", "女")]
AGE_SHARES = ["人口比重_0-14岁", "人口比重_15-64岁", "人口比重_65岁及以上"]
ELDER_HOUSEHOLDS = ["有65岁及以上老年人口的户数", "有一个老人", "有二个老人", "有三个及以上老人"]
REGISTERED_ELSEWHERE = ["户口登记地在外乡镇街道人口_本县", "户口登记地在外乡镇街道人口_本省其他县",
                        "户口登记地在外乡镇街道人口_省外"]
EDUCATION = ["平均受教育年限_合计"]
MARITAL_LONG_FORM = ["十五岁以上人口", "十五岁以上人口_男", "十五岁以上人口_女",
                     "未婚", "未婚_男", "未婚_女", "有配偶", "有配偶_男", "有配偶_女",
                     "离婚", "离婚_男", "离婚_女", "丧偶", "丧偶_男", "丧偶_女"]
HOUSING = ["家庭户户数", "平均每户住房间数", "人均住房建筑面积"]
HOUSING_LONG_FORM = ["家庭户户数_长表", "住房所在建筑有电梯", "拥有家用汽车", "住房来源_租赁", "住房来源_自建",
                     "住房来源_购买", "住房来源_继承或赠予", "住房来源_其他"]
# Cells of the source that cannot be what their column says, replaced by NA (not published). Each
# entry: (code, column, value in the source, why). The script fails if a listed cell has changed.
CORRECTIONS = [
    ("530823", "住房所在建筑有电梯", "0.34899999999999998",
     "a fraction in a count column (households in a building with a lift; 景东彝族自治县)"),
    ("540222", "住房所在建筑有电梯", "0.12", "a fraction in a count column (江孜县)"),
]

KEEP = (IDENTITY + POPULATION + HOUSEHOLDS + AGE_BANDS + AGE_SHARES + ELDER_HOUSEHOLDS + REGISTERED_ELSEWHERE
        + EDUCATION + MARITAL_LONG_FORM + HOUSING + HOUSING_LONG_FORM)


def trimmed(full_path):
    """The trimmed table as text, and (rows kept, rows dropped) for the report."""
    with open(full_path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    missing = [c for c in KEEP if c not in header]
    if missing:
        sys.exit(f"{full_path}: missing columns {missing}")
    index = [header.index(c) for c in KEEP]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KEEP)
    corrections = {(code, column): (value, why) for code, column, value, why in CORRECTIONS}
    kept = dropped = corrected = 0
    for row in rows[1:]:
        if not re.fullmatch(r"\d{6}", row[0]):
            dropped += 1
            continue
        out_row = [row[i] for i in index]
        for k, column in enumerate(KEEP):
            if (row[0], column) in corrections:
                value, why = corrections[(row[0], column)]
                if out_row[k] != value:
                    sys.exit(f"{full_path}: correction {row[0]} {column}: expected {value!r}, found {out_row[k]!r}")
                out_row[k] = "NA"
                corrected += 1
        writer.writerow(out_row)
        kept += 1
    if corrected != len(CORRECTIONS):
        sys.exit(f"{full_path}: {len(CORRECTIONS) - corrected} listed corrections not found")
    return out.getvalue(), kept, dropped


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("full", help="the full county table (CSV, UTF-8, 153 columns)")
    parser.add_argument("out", help="the trimmed table to write (or to compare with --check)")
    parser.add_argument("--check", action="store_true", help="compare with OUT instead of writing it")
    args = parser.parse_args()
    with open(args.full, "rb") as f:
        source_sha = hashlib.sha256(f.read()).hexdigest()
    text, kept, dropped = trimmed(args.full)
    if args.check:
        with open(args.out, encoding="utf-8", newline="") as f:
            same = f.read() == text
        print(f"{args.out}: {'identical to' if same else 'DIFFERS from'} the regenerated table")
        sys.exit(0 if same else 1)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print(f"source sha256 {source_sha}; {kept} rows kept, {dropped} without a 6-digit code dropped; "
          f"{len(KEEP)} columns")


if __name__ == "__main__":
    main()
