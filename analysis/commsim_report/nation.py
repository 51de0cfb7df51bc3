"""The Provinces section (issue 27): a run over census units of more than one province
(scenarios/china-2020.yaml, or any `city.census.units` list across provinces) by province - coverage,
unmet hours per 10,000 residents a year and residents - as a map of discs at the provincial capitals
and a table. The same figures as `commsim regions --level province` (coverage pooled over the
services that are not enrolments; docs/nation.md). Also the drawing that analysis/nation_map.py uses."""

import numpy as np

import matplotlib.pyplot as plt

from .base import html_table
from .fonts import configure_fonts

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
# Short names of the provinces (the census table's names without 省, 市, 自治区 ...), for the report's map.
PROVINCES = {
    "110000": "北京", "120000": "天津", "130000": "河北", "140000": "山西", "150000": "内蒙古", "210000": "辽宁",
    "220000": "吉林", "230000": "黑龙江", "310000": "上海", "320000": "江苏", "330000": "浙江", "340000": "安徽",
    "350000": "福建", "360000": "江西", "370000": "山东", "410000": "河南", "420000": "湖北", "430000": "湖南",
    "440000": "广东", "450000": "广西", "460000": "海南", "500000": "重庆", "510000": "四川", "520000": "贵州",
    "530000": "云南", "540000": "西藏", "610000": "陕西", "620000": "甘肃", "630000": "青海", "640000": "宁夏",
    "650000": "新疆",
}
SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def short_name(name):
    """内蒙古自治区 -> 内蒙古, 广东省 -> 广东."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def draw_province_map(ax, rows, column):
    """Discs at the capitals of rows (dicts with code, name, residents and column): area in proportion
    to residents, colour the column, its value printed beside. Returns (the scatter, codes left out)."""
    placed = [r for r in rows if r["code"] in CAPITALS]
    values = [float(r[column]) for r in placed]
    largest = max([float(r["residents"]) for r in placed] + [1.0])
    sizes = [20 + 1000 * float(r["residents"]) / largest for r in placed]  # the most populous: 1,020 points^2
    sc = ax.scatter([CAPITALS[r["code"]][0] for r in placed], [CAPITALS[r["code"]][1] for r in placed], s=sizes,
                    c=values, cmap="viridis_r" if "coverage" in column else "magma_r", edgecolors="0.2", linewidths=0.5)
    for r, v in zip(placed, values):
        text = f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"
        ax.annotate(f"{short_name(r['name'])} {text}", CAPITALS[r["code"]], xytext=(6, 4), textcoords="offset points",
                    fontsize=7)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_xlim(73, 136)  # the whole country, whatever the provinces drawn
    ax.set_ylim(17, 54)
    ax.set_aspect(1.2)
    ax.grid(alpha=0.3)
    return sc, [r["code"] for r in rows if r["code"] not in CAPITALS]


class NationSection:
    def province_rows(self):
        """Per province of the representative run's districts (census codes): residents, coverage (served
        in time / demand over the services that are not enrolments) and unmet hours per 10,000 residents a
        year; None unless the districts span two provinces or more."""
        dt = self.rep.districts()
        if dt is None or "code" not in dt:
            return None
        codes = [str(c)[:2] + "0000" for c in dt["code"]]
        if len({c for c in codes if c in CAPITALS}) < 2:
            return None
        kinds = [str(k) for k in self.rep.citywide_services()["kind"]]
        counted = np.array([k != "enrolment" for k in kinds])
        demand = self.rep.district_matrix("demand")[:, counted].sum(axis=1)
        in_time = self.rep.district_matrix("served_in_time")[:, counted].sum(axis=1)
        unmet = self.rep.district_matrix("unmet_hours").sum(axis=1)
        per_year = 365.0 / max(self.rep.days, 1)
        rows = {}
        for i, code in enumerate(codes):
            r = rows.setdefault(code, dict(code=code, name=PROVINCES.get(code, code), residents=0.0, demand=0.0,
                                           in_time=0.0, unmet=0.0, units=0))
            r["residents"] += float(dt["residents"][i])
            r["demand"] += float(demand[i])
            r["in_time"] += float(in_time[i])
            r["unmet"] += float(unmet[i])
            r["units"] += 1
        for r in rows.values():
            r["coverage_pct"] = 100 * r["in_time"] / r["demand"] if r["demand"] > 0 else 100.0
            r["unmet_hours_per_10k"] = r["unmet"] * per_year / max(r["residents"], 1) * 1e4
        return sorted(rows.values(), key=lambda r: r["code"])

    def fig_province_map(self, title="Unmet hours by province"):
        rows = self.province_rows()
        if rows is None:
            return self.skip(title, "needs a census city over two provinces or more (scenarios/china-2020.yaml)")
        configure_fonts()
        fig, ax = plt.subplots(figsize=(10, 7.5))
        sc, left_out = draw_province_map(ax, rows, "unmet_hours_per_10k")
        fig.colorbar(sc, ax=ax, label="unmet hours per 10,000 residents a year")
        cap = ("Each province is a disc at its capital, its area in proportion to the residents simulated there and "
               "its colour the unmet hours per 10,000 residents a year (all services; the run's hours scaled to a "
               "year). No boundaries are drawn: the repository ships no province outlines. The table below gives "
               "coverage too; `commsim regions --level province` gives the same figures with WISN pressure.")
        if left_out:
            cap += " Left out (no capital known): " + ", ".join(left_out) + "."
        self.save(fig, "province_map", "Provinces", title, self.caption(cap))
        self._province_table = html_table(
            ["province", "code", "census units", "residents", "coverage %", "unmet hours per 10,000 a year"],
            [[r["name"], r["code"], r["units"], f"{r['residents']:,.0f}", f"{r['coverage_pct']:.1f}",
              f"{r['unmet_hours_per_10k']:,.0f}"] for r in rows])

    def province_table(self):
        return getattr(self, "_province_table", "")
