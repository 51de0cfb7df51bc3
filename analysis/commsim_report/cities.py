"""The Cities and norms section (issue 26): for a study over census cities (city.census.city_code) and
norm sets (norms: scenarios/norms/*.yaml), what each norm set buys in each city - the community workers
it staffs per 10,000 residents (committee members counted as the set counts them) and the citywide
coverage it reaches, mean over services and replicates (docs/cities.md)."""

import os

import matplotlib.pyplot as plt
import numpy as np

from .base import COLOURS, HATCHES, html_table

CITY_AXIS = "city.census.city_code"
NORMS_AXIS = "norms"
# Names of the cities the shipped study runs (scenarios/studies/cities-norms.yaml); others show their code.
CITY_NAMES = {"610100": "Xi'an", "510100": "Chengdu", "440100": "Guangzhou", "652300": "Changji",
              "110000": "Beijing", "310000": "Shanghai", "140100": "Taiyuan", "000000": "China"}


def city_label(value):
    code = f"{value:06.0f}" if isinstance(value, (float, np.floating)) else str(value).strip("\"'")
    return CITY_NAMES.get(code, code)


def norm_label(value):
    return os.path.splitext(os.path.basename(str(value).strip("\"'")))[0]


class CitiesSection:
    def cities_norms_cells(self):
        """{(city, norm set): (workers per 10,000, mean coverage %, unmet hours per resident, runs)} over
        the successful runs, or None when the study has no city axis and no norms axis."""
        if not self.out.is_study or CITY_AXIS not in self.axes or NORMS_AXIS not in self.axes:
            return None
        acc = {}
        for i, name in enumerate(self.ok["run"]):
            c = self.out.run(str(name)).communities()
            res = np.asarray(c["residents"], dtype=float).sum()
            workers = np.asarray(c["staff_community_worker"], dtype=float).sum() if "staff_community_worker" in c else 0.0
            if "committee_total" in c:
                workers += np.asarray(c["committee_total"], dtype=float).sum()
            key = (city_label(self.ok[CITY_AXIS][i]), norm_label(self.ok[NORMS_AXIS][i]))
            acc.setdefault(key, []).append((1e4 * workers / res if res > 0 else np.nan,
                                            100 * np.nanmean(self.cov[i]), res))
        return {k: (np.mean([v[0] for v in vs]), np.mean([v[1] for v in vs]), np.mean([v[2] for v in vs]), len(vs))
                for k, vs in acc.items()}

    def fig_cities_norms(self):
        title = "What each norm set buys in each city"
        cells = self.cities_norms_cells()
        if cells is None:
            self.skip(title, "a chart of census cities x norm sets: it takes a city axis (city.census.city_code) "
                             "and a norm-set axis (norms: scenarios/norms/*.yaml), as "
                             "scenarios/studies/cities-norms.yaml")
            return
        cities = list(dict.fromkeys(k[0] for k in cells))
        norms = list(dict.fromkeys(k[1] for k in cells))
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
        width = 0.8 / max(len(norms), 1)
        x = np.arange(len(cities))
        for j, n in enumerate(norms):
            w = [cells.get((c, n), (np.nan,) * 4)[0] for c in cities]
            cov = [cells.get((c, n), (np.nan,) * 4)[1] for c in cities]
            kw = dict(width=width, color=COLOURS[j % len(COLOURS)], hatch=HATCHES[j % len(HATCHES)],
                      edgecolor="white", label=n)
            ax.bar(x + (j - (len(norms) - 1) / 2) * width, w, **kw)
            bx.bar(x + (j - (len(norms) - 1) / 2) * width, cov, **kw)
        for a in (ax, bx):
            a.set_xticks(x, cities)
        ax.set_ylabel("community workers per 10,000 residents")
        ax.set_title("Community workers staffed (committee included)")
        bx.set_ylabel("citywide coverage, mean over services (%)")
        low = np.nanmin([v[1] for v in cells.values()])
        bx.set_ylim(max(0.0, 5 * np.floor(low / 5) - 5), 100)   # zoomed: the differences are a few points
        bx.set_title("Coverage reached")
        fig.legend(*ax.get_legend_handles_labels(), title="norm set", loc="lower center", ncol=len(norms), fontsize=8)
        fig.subplots_adjust(bottom=0.22)
        cap = ("Each city's census population under each norm set: community workers in post per 10,000 residents "
               "(full-time workers and committee members serving as community workers) and the citywide coverage "
               "(served in time / demand), mean over the services and the runs of each cell. Within a city the "
               "norm sets are paired (the same residents and requests). The coverage axis does not start at 0.")
        self.save(fig, "cities_norms", "Cities and norms", title, self.caption(cap, run=False))
        rows = [[c, n, f"{v[0]:.1f}", f"{v[1]:.1f}", f"{v[2]:,.0f}", v[3]] for (c, n), v in cells.items()]
        self._cities_table = html_table(["city", "norm set", "community workers per 10,000", "coverage %",
                                         "residents (sample)", "runs"], rows)

    def cities_table(self):
        return getattr(self, "_cities_table", "")
