"""The Timeliness section: waits per service and the daily mean wait."""

import matplotlib.pyplot as plt
import numpy as np

from .base import style, nice, fmt_minutes


class TimelinessSection:
    def queue_services(self):
        return [s for s in self.services if self.kinds.get(s) != "enrolment"]

    def fig_waits(self):
        title = "Waiting times per service"
        cw = self.rep.citywide_services()
        svc = self.queue_services()
        if not svc:
            self.skip(title, "no queue (episodic / recurring) service in the file")
            return
        idx = [list(cw["name"]).index(s) for s in svc]
        mean = np.array([cw["mean_wait_min"][i] for i in idx], dtype=float)
        p90 = np.array([cw["p90_wait_min"][i] for i in idx], dtype=float)
        fig, ax = plt.subplots(figsize=(7.5, 4.0))
        xs = np.arange(len(svc))
        w = 0.38
        for k, (vals, lab) in enumerate([(mean, "mean"), (p90, "90th percentile")]):
            bars = ax.bar(xs + (k - 0.5) * w, np.maximum(vals, 0.01), w, label=lab, color=["#56B4E9", "#0072B2"][k],
                          hatch=["", "///"][k], edgecolor="black", linewidth=0.6)
            for b, v in zip(bars, vals):
                ax.text(b.get_x() + b.get_width() / 2, b.get_height() * 1.08, fmt_minutes(v), ha="center",
                        va="bottom", fontsize=7, rotation=0)
        positive = np.concatenate([mean, p90])
        positive = positive[positive > 0]
        if len(positive) and positive.max() / max(positive.min(), 0.01) > 50:
            ax.set_yscale("log")
            ax.set_ylabel("wait until service starts (minutes, log scale)")
        else:
            ax.set_ylabel("wait until service starts (minutes)")
        ax.set_ylim(top=ax.get_ylim()[1] * (3 if ax.get_yscale() == "log" else 1.15))
        ax.set_xticks(xs, [nice(s) for s in svc])
        ax.set_xlabel("service")
        ax.legend(loc="upper left")
        ax.set_title("Citywide wait per service: mean and 90th percentile")
        enr = [s for s in self.services if s not in svc]
        cap = ("Mean and 90th-percentile wait (from request to start of service) over all served requests, "
               "citywide; labels give the value in minutes (min), hours (h) or days (d)"
               + (f". Enrolment services ({', '.join(nice(s) for s in enr)}) have a waiting list rather than "
                  "a queue and are not shown" if enr else ""))
        self.save(fig, "waits", "Timeliness", title, self.caption(cap))

    def fig_daily_wait(self):
        title = "Daily mean wait over time"
        if not self.rep.has_daily:
            self.skip(title, "needs daily records (run.daily_output: true)")
            return
        wait = self.rep.daily("wait_mean_min").astype(float)   # (C, D, S)
        served = self.rep.daily("served").astype(float)
        backlog = self.rep.daily("backlog").astype(float)
        svc = self.queue_services()
        D = wait.shape[1]
        days = np.arange(1, D + 1)
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7.5, 6.0), sharex=True, height_ratios=[3, 2])
        maxv, minv = 0.0, np.inf
        for s in svc:
            j = self.services.index(s)
            w = served[:, :, j].sum(axis=0)
            tot = (np.nan_to_num(wait[:, :, j]) * served[:, :, j]).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                m = np.where(w > 0, tot / w, np.nan)
            st = style(j)
            ax.plot(days, m, label=nice(s), linewidth=1.2, markersize=4, markerfacecolor="white",
                    markevery=max(1, D // 10), **st)
            ax2.plot(days, backlog[:, :, j].sum(axis=0), linewidth=1.2, markersize=4, markerfacecolor="white",
                     markevery=max(1, D // 10), **st)
            fin = m[np.isfinite(m) & (m > 0)]
            if len(fin):
                maxv, minv = max(maxv, fin.max()), min(minv, fin.min())
        if maxv > 0 and maxv / minv > 50:
            ax.set_yscale("log")
            for line in ax.get_lines():     # a zero-minute day cannot be drawn on a log axis
                yd = np.asarray(line.get_ydata(), dtype=float)
                line.set_ydata(np.where(yd > 0, yd, np.nan))
            ax.set_ylabel("mean wait (minutes, log scale)")
        else:
            ax.set_ylabel("mean wait (minutes)")
        ax2.legend(*ax.get_legend_handles_labels(), ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.3),
                   frameon=False)
        ax.set_title("Daily mean wait (served-weighted over communities) and backlog")
        ax2.set_ylabel("backlog at day end (requests)")
        ax2.set_xlabel("day of the run (day)")
        cap = ("Top: mean wait of the requests served each day, averaged over communities weighted by the "
               "number served (days without service are gaps). Bottom: requests waiting at the end of each "
               "day, summed over the city. Queue services only")
        self.save(fig, "daily_wait", "Timeliness", title, self.caption(cap))
