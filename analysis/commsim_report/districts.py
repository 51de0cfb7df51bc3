"""The Districts section: district facts, coverage per district (map and bars)."""

import html
import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from .base import CJK_FONT, COLOURS, HATCHES, nice, fmt_num, pct, html_table


class DistrictsSection:
    def district_facts(self):
        """The representative run's district table with derived columns, or None with fewer than two."""
        dt = self.rep.districts()
        if dt is None or len(dt) < 2:
            return None
        com = np.maximum(dt["communities"].astype(float), 1)
        dt["residents_per_community"] = dt["residents"] / com
        dt["residents_per_km2"] = np.where(dt["area_km2"] > 0, dt["residents"] / np.maximum(dt["area_km2"], 1e-9),
                                           np.nan)
        return dt

    @staticmethod
    def district_label(dt, i):
        """District i's census code when it has one, else its name (the facts table's code column; the
        figure label when the figures have no CJK font)."""
        code = str(dt["code"][i]) if "code" in dt else ""
        return code or str(dt["name"][i])

    @staticmethod
    def district_figure_label(dt, i):
        """Figure label of district i: its name when the figures have a CJK font (fonts.py) or the name
        is ASCII, else its census code (a name drawn without CJK glyphs would be boxes)."""
        name = str(dt["name"][i])
        if CJK_FONT or name.isascii():
            return name
        return DistrictsSection.district_label(dt, i)

    def worst_districts(self, dt):
        """Per service: index of the worst-served district (lowest coverage among districts with
        demand), or None when every district has the same coverage."""
        cov, dem = self.rep.district_matrix("coverage"), self.rep.district_matrix("demand")
        worst = []
        for j in range(cov.shape[1]):
            has = dem[:, j] > 0
            if has.sum() < 2 or np.ptp(cov[has, j]) == 0:
                worst.append(None)
                continue
            idx = np.flatnonzero(has)
            worst.append(int(idx[np.argmin(cov[has, j])]))
        return worst

    def fig_district_coverage(self):
        title = "Coverage by district"
        dt = self.district_facts()
        if dt is None:
            self.skip(title, "needs a city of at least two districts (city.census)")
            return
        s = self.pick_map_service()
        j = self.services.index(s)
        dcov = 100 * self.rep.district_matrix("coverage")[:, j]
        ddem = self.rep.district_matrix("demand")[:, j]
        labels = [self.district_figure_label(dt, i) for i in range(len(dt))]
        classes = list(dict.fromkeys(str(c) for c in dt["district_class"])) if "district_class" in dt else [""]
        cls_of = [classes.index(str(c)) for c in dt["district_class"]] if "district_class" in dt else [0] * len(dt)
        has = ddem > 0
        vals = dcov[has] if has.any() else np.array([100.0])
        vmin, vmax = 10 * math.floor(vals.min() / 10), 10 * math.ceil(vals.max() / 10)
        if vmax - vmin < 10:
            vmin, vmax = max(0, vmax - 10), max(vmax, 10)
        fig, (axm, axb) = plt.subplots(1, 2, figsize=(11, 5.4), gridspec_kw={"width_ratios": [1.25, 1]})
        # Map: every community at its centre, shaded by its district's coverage.
        cm = self.rep.communities()
        row = {str(n): i for i, n in enumerate(dt["name"])}
        di = np.array([row.get(str(n), -1) for n in cm["district"]])
        known = di >= 0
        x, y = cm["x_m"] / 1000.0, cm["y_m"] / 1000.0
        dot = float(np.clip(4000.0 / max(int(known.sum()), 1), 14, 120))  # marker area: smaller for many communities
        sc = axm.scatter(x[known], y[known], c=dcov[di[known]], s=dot, cmap="cividis", vmin=vmin, vmax=vmax,
                         edgecolors="black", linewidths=0.3)
        for i in range(len(dt)):
            m = di == i
            if m.any():
                axm.annotate(labels[i], (float(np.median(x[m])), float(np.median(y[m]))), fontsize=7,
                             ha="center", va="bottom", textcoords="offset points", xytext=(0, 5),
                             bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75))
        axm.set_aspect("equal", adjustable="datalim")
        axm.set_xlabel("easting (km)")
        axm.set_ylabel("northing (km)")
        axm.set_title("Communities shaded by their district's coverage")
        fig.colorbar(sc, ax=axm, shrink=0.75).set_label(f"district coverage of {nice(s)} (%)")
        # Bars: districts from worst to best, hatched by class; the worst outlined.
        order = [i for i in np.argsort(dcov, kind="stable") if has[i]]
        ypos = np.arange(len(order))
        for k, i in enumerate(order):
            axb.barh(k, dcov[i], color=COLOURS[cls_of[i] % len(COLOURS)], hatch=HATCHES[cls_of[i] % len(HATCHES)],
                     edgecolor="black", linewidth=1.6 if k == 0 else 0.5, alpha=0.85)
            axb.text(dcov[i], k, f" {dcov[i]:.1f}", va="center", fontsize=7)
        axb.set_yticks(ypos)
        axb.set_yticklabels([labels[i] for i in order], fontsize=7)
        axb.set_xlim(max(0, vmin - 5), 104)
        axb.axvline(100 * self.target, color="black", linewidth=0.9, linestyle=(0, (2, 2)))
        axb.set_xlabel(f"coverage of {nice(s)} (%)")
        axb.set_title("Districts, worst at the top")
        axb.invert_yaxis()
        axb.legend(handles=[Patch(facecolor=COLOURS[k % len(COLOURS)], hatch=HATCHES[k % len(HATCHES)],
                                                     edgecolor="black", label=nice(c) or "district")
                            for k, c in enumerate(classes)], loc="upper center", bbox_to_anchor=(0.5, -0.1),
                   ncol=4, frameon=False)
        spread = float(vals.max() - vals.min())
        by = "name" if labels == [str(n) for n in dt["name"]] else "code"
        cap = (f"Coverage of <i>{html.escape(nice(s))}</i> per district (lowest-coverage service unless --service "
               f"is given). Left: community centres (x_m, y_m) shaded by their district's coverage, labelled by "
               f"district {by}; right: districts from worst to best, hatched by district class, the worst "
               f"outlined; dashed line: the {100 * self.target:.0f} % target. Best − worst: {spread:.1f} "
               f"percentage points. The district table (names, facts) is above")
        self.save(fig, "district_coverage", "Districts", title, self.caption(cap))

    def district_table(self):
        dt = self.district_facts()
        if dt is None:
            return ""
        cov, unmet = self.rep.district_matrix("coverage"), self.rep.district_matrix("unmet_hours")
        dem = self.rep.district_matrix("demand")
        worst = self.worst_districts(dt)
        facts = ["district", "code", "class", "communities", "residents", "60+", "80+", "household size (persons)",
                 "residents per community", "residents per km² (built-up)"]
        rows = []
        for i in range(len(dt)):
            rows.append([str(dt["name"][i]), self.district_label(dt, i), nice(dt["district_class"][i]),
                         fmt_num(float(dt["communities"][i])), fmt_num(float(dt["residents"][i])),
                         pct(dt["share_60plus"][i]), pct(dt["share_80plus"][i]),
                         f"{dt['mean_household_size'][i]:.2f}", fmt_num(float(dt["residents_per_community"][i])),
                         fmt_num(float(dt["residents_per_km2"][i]))])
        out = html_table(facts, rows, numeric_from=3)
        cols = ["district"] + [nice(s) for s in self.services]
        rows = []
        for i in range(len(dt)):
            r = [str(dt["name"][i])]
            for j in range(len(self.services)):
                if dem[i, j] <= 0:
                    r.append("–")
                    continue
                mark = " ▼" if worst[j] == i else ""
                r.append(f"{100 * cov[i, j]:.1f} % · {fmt_num(float(unmet[i, j]))} h{mark}")
            rows.append(r)
        spread = ["best − worst (points)"]
        for j in range(len(self.services)):
            has = dem[:, j] > 0
            spread.append(f"{100 * np.ptp(cov[has, j]):.1f}" if has.any() else "–")
        rows.append(spread)
        note = (f"Districts of {html.escape(self.rep_desc)}. First table: the district's facts (shares of residents; "
                "built-up area from the districts file). Second: coverage (served in time ÷ demand; enrolment: "
                "enrolled ÷ wanting person-days) · unmet service hours, per service; ▼ marks the worst-served "
                "district of each service (none when all districts are equal); the last row is the spread "
                "between the best- and worst-served district in percentage points.")
        return out + html_table(cols, rows, numeric_from=1) + f'<p class="note">{note}</p>'
