"""The Cost section: cost per resident and who pays."""

import matplotlib.pyplot as plt
import numpy as np


class CostSection:
    def fig_cost(self):
        title = "Cost per resident and cost split"
        cm = self.rep.communities()
        days = max(self.rep.days, 1)
        annual = 365.0 / days
        pay_c, pay_d = cm["pay_city_yuan"], cm["pay_district_yuan"]
        of_c, of_d = cm["operating_funds_city_yuan"], cm["operating_funds_district_yuan"]
        res = np.maximum(cm["residents"].astype(float), 1)
        per_res = (pay_c + pay_d + of_c + of_d) / res * annual
        city = float(self.rep.attr("cost_per_resident_yuan", np.nan)) * annual
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.5, 3.9), width_ratios=[3, 2])
        bins = min(30, max(6, len(per_res) // 3))
        ax.hist(per_res, bins=bins, color="#56B4E9", edgecolor="black", linewidth=0.5, hatch="//",
                label="communities")
        ax.axvline(city, color="black", linewidth=1.2, linestyle="--", label=f"citywide {city:,.0f}")
        ax.axvline(np.median(per_res), color="black", linewidth=1.0, linestyle=":",
                   label=f"median community {np.median(per_res):,.0f}")
        ax.set_xlabel("cost per resident (yuan per resident per year)")
        ax.set_ylabel("communities (count)")
        ax.legend(loc="upper right", frameon=True, framealpha=0.9)
        ax.set_title("Staff pay + operating funds per resident")
        # City / district split (million yuan per year).
        mil = 1e6 / annual
        segs = [("staff pay", [pay_c.sum() / mil, pay_d.sum() / mil], "#0072B2", ""),
                ("operating funds", [of_c.sum() / mil, of_d.sum() / mil], "#E69F00", "xx")]
        bottom = np.zeros(2)
        for name, vals, col, hat in segs:
            ax2.bar([0, 1], vals, 0.6, bottom=bottom, color=col, hatch=hat, edgecolor="black", linewidth=0.6,
                    label=name)
            for k in range(2):
                if vals[k] > 0:
                    ax2.text(k, bottom[k] + vals[k] / 2, f"{vals[k]:,.1f}", ha="center", va="center", fontsize=7,
                             bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8))
            bottom += np.array(vals)
        tot = bottom.sum()
        ax2.set_xticks([0, 1], [f"city\n{100 * bottom[0] / tot:.0f} %" if tot else "city",
                                f"district / county\n{100 * bottom[1] / tot:.0f} %" if tot else "district"])
        ax2.set_ylabel("cost (million yuan per year)")
        ax2.set_title("Who pays (N5.2, N5.3)")
        ax2.legend(loc="upper right", frameon=True, framealpha=0.9)
        ax2.set_ylim(0, bottom.max() * 1.25 if bottom.max() > 0 else 1)
        ax2.grid(axis="x", visible=False)
        cap = (f"Left: distribution over communities of staff pay plus operating funds per resident, "
               f"annualised from the {days}-day run (× 365/{days}); dashed line the citywide value. Right: total "
               f"cost split between the city and district/county budgets (million yuan per year)")
        self.save(fig, "cost", "Cost", title, self.caption(cap))
