#!/usr/bin/python3
"""analysis/report.py on a single run: every expected figure is written (PNG + SVG), the HTML embeds
exactly those figures with no broken references, study-only figures are listed as not shown, and bad
files fail cleanly. Also scripts/check-report.sh when Chromium is installed. The study report is
tested by test_report_study.py. Usage: test_report.py COMMSIM_BINARY [DATA_DIR]"""

import base64
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import warnings

import h5py
import numpy as np

from common import ROOT, SCENARIO, TINY, Data, main, tool

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SINGLE_FIGS = ["coverage_distribution", "coverage_map", "district_coverage", "waits", "daily_wait", "worker_time", "cost"]
STUDY_FIGS = ["coverage_vs_staffing", "coverage_heatmap", "size_response", "paired_differences"]


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def cjk_font_installed():
    """Whether fontconfig knows a Noto Sans CJK font (Debian fonts-noto-cjk)."""
    try:
        r = subprocess.run(["fc-list", ":family"], capture_output=True, text=True, timeout=60)
    except OSError:
        return False
    return "Noto Sans CJK" in r.stdout


def section_table(page, section_id, index=0):
    """(header cells, rows of cell texts) of the index-th table of a page section."""
    start = page.index(f'<section id="{section_id}">')
    section = page[start:page.index("</section>", start)]
    table = re.findall(r"<table[^>]*>(.*?)</table>", section, re.S)[index]
    head = [html.unescape(c) for c in re.findall(r"<th>(.*?)</th>", table)]
    body = table[table.index("<tbody>"):]
    rows = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return head, rows, section


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
        # Issue 24: the facility area short of the norm and the capital that brings it up to it.
        self.assertIn("capital to bring every facility up to the norm", page)
        return page


class WritesFigures:
    """Mixed into a ReportCase: every expected figure is written (PNG + SVG)."""

    def test_figures(self):
        self.check_figures()


class SingleRunReport(WritesFigures, ReportCase):
    src = "single.h5"
    expected = SINGLE_FIGS

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

    def test_service_table(self):
        """Unmet service hours and working-minute waits as in the file (and the command line), clock
        waits beside them; a mean above its p90 is marked and explained (issue 22, items 1 and 10)."""
        head, rows, section = section_table(self.html(), "summary", 1)
        for col in ("unmet (hours)", "mean wait (working min)", "p90 wait (working min)", "clock wait of served, mean / p90"):
            self.assertIn(col, head)
        self.assertNotIn("unmet (requests)", head)
        at = {c: head.index(c) for c in head}
        with h5py.File(Data.path(self.src), "r") as f:
            cw = f["runs/0000/citywide/services"]
            names = list(cw["name"].asstr()[:])
            kinds = list(cw["kind"].asstr()[:])
            unmet, mean_w, p90_w = cw["unmet_hours"][:], cw["mean_wait_working_min"][:], cw["p90_wait_working_min"][:]
        self.assertEqual([r[0] for r in rows], [n.replace("_", " ") for n in names])
        self.assertGreater(float(np.sum(unmet)), 0, "the test city leaves no hour unmet: nothing checked")
        tail = []
        for r, kind, u, m, p in zip(rows, kinds, unmet, mean_w, p90_w):
            self.assertEqual(r[at["unmet (hours)"]], f"{u:,.0f}", r[0])
            if kind == "enrolment":
                self.assertEqual(r[at["mean wait (working min)"]], "–")
                continue
            mark = " †" if m > p else ""
            if mark:
                tail.append(r[0])
            self.assertEqual(r[at["mean wait (working min)"]], f"{m:,.1f}{mark}", r[0])
            self.assertEqual(r[at["p90 wait (working min)"]], f"{p:,.1f}", r[0])
        self.assertIn("Waits in working minutes", section)
        if tail:
            self.assertIn("† Mean above the 90th percentile", section)
            self.assertIn("heavy tail", section)
        else:
            self.assertNotIn("† Mean above", section)

    def test_district_names_drawn(self):
        """With a CJK font installed the district figure names the districts (in Chinese) instead of
        drawing boxes (issue 22, item 10); the SVG keeps text as text."""
        if not cjk_font_installed():
            self.skipTest("fonts-noto-cjk not installed")
        with h5py.File(Data.path(self.src), "r") as f:
            names = list(f["runs/0000/districts/name"].asstr()[:])
        self.assertTrue(any(not n.isascii() for n in names), names)
        with open(os.path.join(self.dir, "district_coverage.svg"), encoding="utf-8") as f:
            svg = html.unescape(f.read())
        for n in names:
            self.assertIn(n, svg)

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


class PageWrite(unittest.TestCase):
    """index.html is written whole or not at all, in UTF-8 (issue 22, item 2)."""

    def test_failed_render_keeps_previous_page(self):
        import report
        from commsim_h5 import open_output
        tmp = tempfile.mkdtemp()
        try:
            with open_output(Data.path("single.h5")) as out:
                report.Report(out, tmp).build()
                path = os.path.join(tmp, "index.html")
                with open(path, "rb") as f:
                    before = f.read()
                self.assertGreater(len(before), 10000)
                rep = report.Report(out, tmp)

                def broken():
                    raise UnicodeEncodeError("utf-8", "caf\udce9", 3, 4, "surrogates not allowed")
                rep.html = broken
                with self.assertRaises(UnicodeEncodeError):
                    rep.build()
            with open(path, "rb") as f:
                self.assertEqual(f.read(), before)
            self.assertEqual([n for n in os.listdir(tmp) if n.startswith(".")], [], "temporary file left")
        finally:
            shutil.rmtree(tmp)

    def test_scenario_name_not_utf8(self):
        tmp = tempfile.mkdtemp()
        try:
            src = os.path.join(tmp, "odd.h5")
            shutil.copyfile(Data.path("single.h5"), src)
            with h5py.File(src, "r+") as f:
                f.attrs.create("scenario_name", b"caf\xe9 \xff", dtype=h5py.string_dtype("utf-8"))
            r = tool("report.py", src, "-o", os.path.join(tmp, "rep"))
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(tmp, "rep", "index.html"), "rb") as f:
                page = f.read().decode("utf-8")      # strict: the page is valid UTF-8
            self.assertIn("caf\ufffd \ufffd", page)
            self.assertIn("</html>", page)
        finally:
            shutil.rmtree(tmp)


class Fonts(unittest.TestCase):
    """Figures fall back to a CJK font when one is installed (issue 22, item 10)."""

    def test_choice(self):
        from commsim_report import fonts
        self.assertEqual(fonts.find_cjk_family({"DejaVu Sans", "Noto Sans CJK JP", "Noto Sans CJK SC"}),
                         "Noto Sans CJK SC")
        self.assertIsNone(fonts.find_cjk_family({"DejaVu Sans", "Liberation Sans"}))
        from matplotlib import rcParams
        saved = rcParams["font.family"]
        try:
            self.assertIsNone(fonts.configure_fonts({"DejaVu Sans"}))
            self.assertEqual(rcParams["font.family"], ["sans-serif"])
            self.assertEqual(fonts.configure_fonts({"DejaVu Sans", "Noto Sans CJK JP"}), "Noto Sans CJK JP")
            self.assertEqual(rcParams["font.family"], ["sans-serif", "Noto Sans CJK JP"])
        finally:
            rcParams["font.family"] = saved

    def test_installed_font_is_used(self):
        if not cjk_font_installed():
            self.skipTest("fonts-noto-cjk not installed (scripts/install-deps.sh installs it)")
        from commsim_report import base
        import matplotlib.pyplot as plt
        self.assertIsNotNone(base.CJK_FONT)
        fig = plt.figure()
        fig.text(0.1, 0.5, "雁塔区 碑林区")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        plt.close(fig)
        self.assertEqual([str(w.message) for w in caught if "missing from" in str(w.message)], [])


class CliWaitFootnote(unittest.TestCase):
    """The command line's summary table explains a mean wait above its p90 (issue 22, item 10): on 40
    communities over 14 days chronic follow-ups wait 9.7 working minutes on average against a p90 of
    3.7; on the 13-community test city over 28 days no service does, and no footnote is printed."""

    def table(self, settings):
        tmp = tempfile.mkdtemp()
        try:
            summary = os.path.join(tmp, "summary.json")
            cmd = [Data.binary, "run", SCENARIO, "--summary-json", summary]
            for k, v in settings.items():
                cmd += ["--set", f"{k}={v}"]
            r = subprocess.run(cmd, capture_output=True, text=True,
                               env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(summary, encoding="utf-8") as f:
                services = json.load(f)["services"]
        finally:
            shutil.rmtree(tmp)
        tail = [s for s, v in services.items()
                if v.get("kind") != "enrolment" and v["mean_wait_working_min"] > v["p90_wait_working_min"]]
        return r.stdout + r.stderr, tail

    def test_footnote_when_a_mean_is_above_its_p90(self):
        text, tail = self.table({"city.generator.communities": 40, "run.days": 14, "run.daily_output": "false"})
        self.assertIn("chronic_followup", tail)
        self.assertIn("(a mean wait above its p90:", text)
        self.assertIn("a heavy tail", text)

    def test_no_footnote_otherwise(self):
        text, tail = self.table(dict(TINY, **{"run.days": 28}))
        self.assertEqual(tail, [])
        self.assertIn("mean wait", text)
        self.assertNotIn("a mean wait above its p90", text)


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
