#!/usr/bin/python3
"""analysis/report.py on a study over census cities and norm sets (issue 26,
scenarios/studies/cities-norms.yaml in small): the "Cities and norms" chart is drawn and its table
shows each cell's community workers per 10,000 residents as the file's communities give them.
Makes its own study (2 cities x 2 norm sets, 13 communities, 3 days) in a temporary directory.
Usage: test_report_cities.py COMMSIM_BINARY [DATA_DIR]"""

import html
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import numpy as np

from common import ROOT, Data, main, tool
from commsim_h5 import open_output

STUDY = """name: cities-norms-small
base: {root}/scenarios/xian-baseline.yaml
set:
  - city.generator.communities=13
  - run.days=3
  - run.daily_output=false
axes:
  city.census.city_code: ["610100", "652300"]
  norms: [norms/national-2021.yaml, norms/changji-2023.yaml]
design: grid
replicates: 1
"""


class CitiesReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="commsim-cities-")
        study = os.path.join(cls.tmp, "cities.yaml")
        with open(study, "w") as f:
            f.write(STUDY.format(root=ROOT))
        cls.h5 = os.path.join(cls.tmp, "cities.h5")
        subprocess.run([Data.binary, "study", study, "-o", cls.h5, "--threads", "2"], check=True,
                       capture_output=True, env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))
        cls.out = os.path.join(cls.tmp, "report")
        r = tool("report.py", cls.h5, "-o", cls.out)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(cls.out, "index.html")) as f:
            cls.page = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_chart_and_table(self):
        self.assertTrue(os.path.exists(os.path.join(self.out, "cities_norms.png")))
        section = self.page[self.page.index('<section id="cities">'):]
        section = section[:section.index("</section>")]
        self.assertIn("What each norm set buys in each city", section)
        rows = re.findall(r"<tr><td>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([0-9.]+)</td>", section)
        cells = {(html.unescape(c), html.unescape(n)): float(w) for c, n, w in rows}
        self.assertEqual(set(cells), {("Xi'an", "national-2021"), ("Xi'an", "changji-2023"),
                                      ("Changji", "national-2021"), ("Changji", "changji-2023")})
        out = open_output(self.h5)
        st = out.study_table()
        for i, name in enumerate(st["run"]):
            c = out.run(str(name)).communities()
            per_10k = 1e4 * (np.sum(c["staff_community_worker"]) + np.sum(c["committee_total"])) / np.sum(c["residents"])
            city = "Xi'an" if "610100" in str(st["city.census.city_code"][i]) else "Changji"
            norm = os.path.splitext(os.path.basename(str(st["norms"][i]).strip('"')))[0]
            self.assertAlmostEqual(cells[(city, norm)], per_10k, delta=0.051)
        # The compliance table names the norm set the representative run is judged against.
        self.assertIn("Against the norm set national-2021", self.page)
        for city in ("Xi'an", "Changji"):   # Changji's 25 per 10,000 staffs more than the national 18
            self.assertGreater(cells[(city, "changji-2023")], cells[(city, "national-2021")] + 5)


if __name__ == "__main__":
    main()
