#!/usr/bin/python3
"""analysis/report.py on a single run: every expected figure is written (PNG + SVG), the HTML embeds
exactly those figures with no broken references, study-only figures are listed as not shown, and bad
files fail cleanly. Also scripts/check-report.sh when Chromium is installed. The study report is
tested by test_report_study.py. Usage: test_report.py COMMSIM_BINARY [DATA_DIR]"""

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import h5py

from common import ROOT, SCENARIO, TINY, Data, main, tool

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SINGLE_FIGS = ["coverage_distribution", "coverage_map", "district_coverage", "waits", "daily_wait", "worker_time", "cost"]
STUDY_FIGS = ["coverage_vs_staffing", "coverage_heatmap", "paired_differences"]


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class ReportCase(unittest.TestCase):
    src = None
    expected = []
    reports = {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.dir = os.path.join(cls.tmp, "report")
        cls.proc = tool("report.py", Data.path(cls.src), "-o", cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def html(self):
        with open(os.path.join(self.dir, "index.html"), encoding="utf-8") as f:
            return f.read()

    def check_figures(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        files = sorted(f for f in os.listdir(self.dir) if f.endswith(".png"))
        self.assertEqual(files, sorted(f + ".png" for f in self.expected))
        for fid in self.expected:
            png = os.path.join(self.dir, fid + ".png")
            with open(png, "rb") as f:
                data = f.read()
            self.assertTrue(data.startswith(PNG_MAGIC), fid)
            self.assertGreater(len(data), 15000, f"{fid}.png suspiciously small")
            w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            self.assertGreater(w, 400, fid)
            self.assertGreater(h, 250, fid)
            with open(os.path.join(self.dir, fid + ".svg"), encoding="utf-8") as f:
                svg = f.read()
            self.assertIn("<svg", svg)
            self.assertGreater(len(svg), 10000, f"{fid}.svg suspiciously small")

    def check_html(self):
        page = self.html()
        imgs = re.findall(r"<img\b[^>]*>", page)
        self.assertEqual(len(imgs), len(self.expected))
        for tag in imgs:
            src = re.search(r'src="data:image/png;base64,([^"]+)"', tag)
            self.assertIsNotNone(src, tag[:80])
            name = re.search(r'data-file="([^"]+)"', tag).group(1)
            with open(os.path.join(self.dir, name), "rb") as f:
                self.assertEqual(base64.b64decode(src.group(1)), f.read(), name)
        for ref in set(re.findall(r'(?:href|src)="([^"#][^"]*)"', page)):
            if ref.startswith(("data:", "http:", "https:")):
                continue
            self.assertTrue(os.path.isfile(os.path.join(self.dir, ref)), f"broken reference {ref}")
        for ref in set(re.findall(r'href="#([^"]+)"', page)):
            self.assertIn(f'id="{ref}"', page, f"broken anchor #{ref}")
        with h5py.File(Data.path(self.src), "r") as f:
            name, seed = f.attrs["scenario_name"], int(f.attrs["seed"])
            version = f.attrs["version"]
            services = list(f["runs"][sorted(f["runs"])[0]]["service_names"].asstr()[:])
        captions = re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S)
        self.assertEqual(len(captions), len(self.expected))
        for c in captions:
            self.assertIn(name, c)
            self.assertIn(f"seed {seed}", c)
            self.assertIn(version, c)
        for s in services:
            self.assertTrue(s.replace("_", " ") in page, f"service {s} missing from the page")
        for norm in ("N1.1", "N2.1/N2.3", "N2.4", "N3.2/N3.4", "N3.5"):
            self.assertTrue(f"<td>{norm}</td>" in page, f"compliance row {norm} missing")
        return page


class SingleRunReport(ReportCase):
    src = "single.h5"
    expected = SINGLE_FIGS

    def test_figures(self):
        self.check_figures()

    def test_html(self):
        page = self.check_html()
        self.assertTrue("Figures not shown" in page)
        for title in ("Coverage vs staffing ratio", "Coverage over community size", "Paired differences"):
            self.assertIn(title, page[page.index('id="notshown"'):])
        self.assertTrue("needs a study" in page)

    def test_compliance_counts(self):
        page = self.html()
        with h5py.File(Data.path(self.src), "r") as f:
            ok = int(f["runs/0000/communities/workers_ok"][:].sum())
        row = re.search(r"<td>N3.5</td><td>[^<]*</td><td class=\"num\">([0-9,]+)</td>", page)
        self.assertEqual(int(row.group(1).replace(",", "")), ok)

    def test_time_split(self):
        # The community workers' time split (WISN activities) with its shares from the file and the
        # survey comparison (docs/workforce.md).
        page = self.html()
        self.assertIn("How community workers spend their time", page)
        with h5py.File(Data.path(self.src), "r") as f:
            g = f["runs/0000/citywide/activities"]
            roles = [x.decode() if isinstance(x, bytes) else str(x) for x in g["role"][:]]
            kinds = [x.decode() if isinstance(x, bytes) else str(x) for x in g["kind"][:]]
            share = g["share"][:]
        support = sum(s for r, k, s in zip(roles, kinds, share) if r == "community_worker" and k == "support")
        self.assertAlmostEqual(sum(s for r, s in zip(roles, share) if r == "community_worker"), 1.0, places=9)
        self.assertIn(f"is {100 * support:.1f} % of the community workers", page)
        self.assertIn("22–27 %", page)

    @unittest.skipUnless(chromium(), "chromium not installed")
    def test_check_report_script(self):
        r = subprocess.run([os.path.join(ROOT, "scripts", "check-report.sh"), self.dir, "--expect",
                            str(len(self.expected))], capture_output=True, text=True, timeout=240)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"OK: {len(self.expected)}/{len(self.expected)} images decode", r.stdout)
        # A broken image and a dangling link are caught.
        page = self.html()
        bad = re.sub(r'src="data:image/png;base64,[A-Za-z0-9+/]{40}', 'src="data:image/png;base64,AAAA', page,
                     count=1)
        bad = bad.replace('href="cost.svg"', 'href="missing.svg"')
        broken = os.path.join(self.tmp, "broken")
        shutil.copytree(self.dir, broken)
        with open(os.path.join(broken, "index.html"), "w", encoding="utf-8") as f:
            f.write(bad)
        r = subprocess.run([os.path.join(ROOT, "scripts", "check-report.sh"), broken], capture_output=True,
                           text=True, timeout=240)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("did not decode", r.stdout)
        self.assertIn("missing.svg", r.stdout)


class CalibrationTargets(unittest.TestCase):
    """commsim run --targets ... --summary-json, then report.py --summary-json: the targets table."""

    def test_targets_table(self):
        tmp = tempfile.mkdtemp()
        try:
            summary = os.path.join(tmp, "summary.json")
            targets = os.path.join(ROOT, "scenarios", "targets", "xian.yaml")
            cmd = [Data.binary, "run", SCENARIO, "--quiet", "--targets", targets, "--summary-json", summary]
            for k, v in TINY.items():
                cmd += ["--set", f"{k}={v}"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(summary, encoding="utf-8") as f:
                checks = json.load(f)["calibration"]["targets"]
            r = tool("report.py", Data.path("single.h5"), "-o", os.path.join(tmp, "rep"), "--summary-json", summary)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(tmp, "rep", "index.html"), encoding="utf-8") as f:
                page = f.read()
            self.assertIn('id="calibration"', page)
            section = page[page.index('id="calibration"'):]
            for t in checks:
                self.assertIn(f"<td>{t['name']}</td>", section)
            within = sum(1 for t in checks if t["within"])
            self.assertIn(f"{within} of {len(checks)} targets within tolerance", section)
            # Without calibration targets in the summary, the report refuses the option.
            plain = os.path.join(tmp, "plain.json")
            with open(plain, "w", encoding="utf-8") as f:
                json.dump({"scenario": "x"}, f)
            r = tool("report.py", Data.path("single.h5"), "-o", os.path.join(tmp, "rep2"), "--summary-json", plain)
            self.assertEqual(r.returncode, 2)
            self.assertIn("no calibration targets", r.stderr)
        finally:
            shutil.rmtree(tmp)

    def test_no_section_without_targets(self):
        tmp = tempfile.mkdtemp()
        try:
            r = tool("report.py", Data.path("single.h5"), "-o", tmp)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(tmp, "index.html"), encoding="utf-8") as f:
                self.assertNotIn('id="calibration"', f.read())
        finally:
            shutil.rmtree(tmp)


class BadInput(unittest.TestCase):
    def test_truncated_file(self):
        tmp = tempfile.mkdtemp()
        try:
            bad = os.path.join(tmp, "bad.h5")
            with open(Data.path("single.h5"), "rb") as f:
                data = f.read()
            with open(bad, "wb") as f:
                f.write(data[: len(data) // 3])
            r = tool("report.py", bad, "-o", os.path.join(tmp, "rep"))
            self.assertEqual(r.returncode, 2)
            self.assertIn("report: error:", r.stderr)
            self.assertIn("bad.h5", r.stderr)
            self.assertNotIn("Traceback", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(tmp, "rep", "index.html")))
        finally:
            shutil.rmtree(tmp)

    def test_unknown_service(self):
        tmp = tempfile.mkdtemp()
        try:
            r = tool("report.py", Data.path("single.h5"), "-o", tmp, "--service", "nope")
            self.assertEqual(r.returncode, 2)
            self.assertIn("not a service", r.stderr)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
