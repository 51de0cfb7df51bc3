"""The Norm compliance and Calibration targets sections."""

import html

import numpy as np

from .base import fmt_num, pct, html_table


class ComplianceSection:
    def compliance_table(self):
        cm = self.rep.communities()
        C = len(cm)
        over, micro = cm["oversized"].astype(bool), cm["micro"].astype(bool)

        def row(norm, rule, ok):
            k = int(np.sum(ok))
            return [norm, rule, fmt_num(k), pct(k / C if C else np.nan), fmt_num(C - k)]

        rows = [
            ["N1.1", "size band: micro (below the band, to be merged)", fmt_num(int(micro.sum())),
             pct(micro.sum() / C), "–"],
            ["N1.1", "size band: within 1,000–5,000 households", fmt_num(int((~over & ~micro).sum())),
             pct((~over & ~micro).sum() / C), "–"],
            ["N1.1", "size band: oversized (above the band, to be split)", fmt_num(int(over.sum())),
             pct(over.sum() / C), "–"],
            row("N1", "community size complies with the policy in force", cm["size_ok"]),
            row("N2.1/N2.3", "indoor facility area ≥ 30 m² per 100 households (≥ 600 m² new small)", cm["facility_ok"]),
            row("N2.4", "activity share of the facility ≥ 60 %", cm["activity_ok"]),
            row("N3.2/N3.4", "committee size by household band, both committees ≤ 11", cm["committee_ok"]),
            row("N3.5", "community workers ≥ 18 per 10,000 residents", cm["workers_ok"]),
        ]
        return (html_table(["norm", "rule", "communities complying", "share", "not complying"], rows,
                           numeric_from=2) +
                f'<p class="note">Against the policy in force in the scenario ({C} communities, '
                f'{html.escape(self.rep_desc)}). Size-band rows count communities per band.</p>')

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
