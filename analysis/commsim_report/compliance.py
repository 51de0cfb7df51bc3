"""The Norm compliance and Calibration targets sections."""

import html
import os
import re

import numpy as np

from .base import fmt_num, pct, html_table


class ComplianceSection:
    def rep_norm_set(self):
        """The norm set (`norms:` path) of the representative run's scenario, or ""."""
        y = self.out.file.attrs.get("scenario_yaml", "")
        g = self.out.file["study"] if self.out.is_study else None
        if g is not None and "variants" in g and "scenario_yaml" in g["variants"]:
            y = g["variants"]["scenario_yaml"][int(self.rep.attr("variant", 0))]
        y = y.decode() if isinstance(y, bytes) else str(y)
        m = re.search(r"^norms:\s*(.*)$", y, re.M)
        return m.group(1).strip().strip("'\"") if m else ""

    def compliance_table(self):
        cm = self.rep.communities()
        C = len(cm)
        over, micro = cm["oversized"].astype(bool), cm["micro"].astype(bool)

        def row(norm, rule, ok):
            k = int(np.sum(ok))
            return [norm, rule, fmt_num(k), pct(k / C if C else np.nan), fmt_num(C - k)]

        # A norm set (scenarios/norms/*.yaml, issue 26) is the yardstick when the scenario names one.
        norm_set = self.rep_norm_set()
        name = os.path.splitext(os.path.basename(norm_set))[0] if norm_set else ""
        facility_rule = (f"indoor facility area by {name}'s figure" if name else
                         "indoor facility area ≥ 30 m² per 100 households (≥ 600 m² new small)")
        workers_rule = (f"community workers by {name}'s figure (committee counted as it counts them)" if name else
                        "community workers ≥ 18 per 10,000 residents")
        rows = [
            ["N1.1", "size band: micro (below the band, to be merged)", fmt_num(int(micro.sum())),
             pct(micro.sum() / C), "–"],
            ["N1.1", "size band: within 1,000–5,000 households", fmt_num(int((~over & ~micro).sum())),
             pct((~over & ~micro).sum() / C), "–"],
            ["N1.1", "size band: oversized (above the band, to be split)", fmt_num(int(over.sum())),
             pct(over.sum() / C), "–"],
            row("N1", "community size complies with the policy in force", cm["size_ok"]),
            row("N2.1/N2.3", facility_rule, cm["facility_ok"]),
            row("N2.4", "activity share of the facility ≥ 60 %", cm["activity_ok"]),
            row("N3.2/N3.4", "committee size by household band, both committees ≤ 11", cm["committee_ok"]),
            row("N3.5", workers_rule, cm["workers_ok"]),
        ]
        return (html_table(["norm", "rule", "communities complying", "share", "not complying"], rows,
                           numeric_from=2) +
                f'<p class="note">Against the ' + (f'norm set {html.escape(name)} ({html.escape(norm_set)})' if name
                                                   else "norms (NORMS.md, Xi'an 2023)") +
                f' ({C} communities, {html.escape(self.rep_desc)}). Size-band rows count communities per band.</p>')

    def calibration_table(self):
        """Observed targets against the run (commsim run --targets ... --summary-json)."""
        if not self.calibration:
            return ""
        rows = []
        within = 0
        for t in self.calibration:
            within += bool(t.get("within"))
            rows.append((t.get("name", ""), t.get("use", "fit"), t.get("evidence") or "",
                         fmt_num(t.get("observed"), 3), fmt_num(t.get("tolerance"), 3),
                         fmt_num(t.get("simulated"), 3), "yes" if t.get("within") else "NO", t.get("source", "")))
        return (html_table(["target", "use", "evidence group", "observed", "tolerance", "simulated", "within", "source"],
                           rows, numeric_from=3) +
                f'<p class="note">{within} of {len(rows)} targets within tolerance (|simulated − observed| ≤ '
                'tolerance; simulated = mean over replicates). ' + self.evidence_note() + ' Sources: '
                'docs/sources.md; how each target is computed: docs/calibration.md.</p>')

    def evidence_note(self):
        """How many independent pieces of evidence the targets are (docs/calibration.md)."""
        def weight(t):
            if "evidence_weight" in t:
                return t["evidence_weight"] or 0.0
            return 1.0 if t.get("use", "fit") in ("fit", "holdout") else 0.0
        fit = sum(weight(t) for t in self.calibration if t.get("use", "fit") == "fit")
        holdout = sum(weight(t) for t in self.calibration if t.get("use") == "holdout")
        echoes = sum(1 for t in self.calibration if t.get("use") == "echo")
        checks = sum(1 for t in self.calibration if t.get("use") == "check")
        return (f'Independent evidence: {fit + holdout:.3g} (fit {fit:.3g}, holdout '
                f'{holdout:.3g}; targets that are one number, or tied by an identity, count once per '
                f'evidence group; {echoes} echoes of inputs and {checks} input checks are not evidence).')
