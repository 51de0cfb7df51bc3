#!/usr/bin/python3
"""analysis/commsim_h5.py: reading run and study files; clear errors for files that are not
complete commsim outputs. Usage: test_reader.py COMMSIM_BINARY [DATA_DIR]"""

import os
import shutil
import tempfile
import unittest

import h5py
import numpy as np

from common import STAFF_AXIS, SIZE_AXIS, STUDY_FAILED, STUDY_GRID, Data, main
from commsim_h5 import CommsimFileError, mean_ci, open_output


class BadFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        single = Data.path("single.h5")
        cls.truncated = os.path.join(cls.tmp, "truncated.h5")
        with open(single, "rb") as f:
            data = f.read()
        with open(cls.truncated, "wb") as f:
            f.write(data[: len(data) // 2])
        cls.text = os.path.join(cls.tmp, "text.h5")
        with open(cls.text, "w") as f:
            f.write("not hdf5\n")
        cls.foreign = os.path.join(cls.tmp, "foreign.h5")
        with h5py.File(cls.foreign, "w") as f:
            f["x"] = np.arange(3)
        cls.incomplete = os.path.join(cls.tmp, "incomplete.h5")
        shutil.copy(single, cls.incomplete)
        with h5py.File(cls.incomplete, "r+") as f:
            f.attrs["complete"] = np.int32(0)
        cls.nocomplete = os.path.join(cls.tmp, "nocomplete.h5")
        shutil.copy(single, cls.nocomplete)
        with h5py.File(cls.nocomplete, "r+") as f:
            del f.attrs["complete"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def check(self, path, *words):
        with self.assertRaises(CommsimFileError) as cm:
            open_output(path)
        msg = str(cm.exception)
        self.assertIn(path, msg)
        for w in words:
            self.assertIn(w, msg)

    def test_missing(self):
        self.check(os.path.join(self.tmp, "nope.h5"), "no such file")

    def test_truncated(self):
        self.check(self.truncated, "truncated")

    def test_not_hdf5(self):
        self.check(self.text, "not a readable HDF5")

    def test_foreign_hdf5(self):
        self.check(self.foreign, "not a commsim output")

    def test_incomplete(self):
        self.check(self.incomplete, "incomplete", "complete=0")
        self.check(self.nocomplete, "incomplete", "complete=None")


class SingleRun(unittest.TestCase):
    def setUp(self):
        self.out = open_output(Data.path("single.h5"))
        self.h5 = h5py.File(Data.path("single.h5"), "r")

    def tearDown(self):
        self.out.close()
        self.h5.close()

    def test_provenance(self):
        self.assertEqual(self.out.kind, "run")
        self.assertFalse(self.out.is_study)
        self.assertEqual(self.out.scenario_name, "xian-baseline")
        self.assertEqual(self.out.seed, int(self.h5.attrs["seed"]))
        self.assertAlmostEqual(self.out.coverage_target, 0.9)
        self.assertEqual(self.out.runs, ["0000"])

    def test_tables(self):
        run = self.out.run(0)
        g = self.h5["runs/0000"]
        S, R = len(g["service_names"]), len(g["role_names"])
        C = len(g["communities/name"])
        self.assertEqual(run.services, list(g["service_names"].asstr()[:]))
        cw = run.citywide_services()
        self.assertEqual(len(cw), S)
        np.testing.assert_array_equal(cw["coverage"], g["citywide/services/coverage"][:])
        self.assertEqual(cw.units["coverage"], "share")
        self.assertEqual(len(run.citywide_roles()), R)
        cm = run.communities()
        self.assertEqual(len(cm), C)
        for r, role in enumerate(run.roles):
            np.testing.assert_array_equal(cm[f"staff_{role}"], g["communities/staff"][:, r])
        self.assertEqual(run.totals("coverage").shape, (C, S))
        tt = run.totals_table()
        self.assertEqual(len(tt), C * S)
        np.testing.assert_array_equal(tt["coverage"], g["totals/coverage"][:].reshape(-1))
        self.assertEqual(len(run.totals_table("roles")), C * R)
        self.assertEqual(run.daily("demand").shape, (C, 14, S))
        dt = run.daily_table()
        self.assertEqual(len(dt), C * 14 * S)
        # row (c, d, s) of the long table is daily[c, d, s]
        c, d, s = C - 1, 13, S - 1
        i = (c * 14 + d) * S + s
        self.assertEqual(dt["community"][i], run.community_names[c])
        self.assertEqual(dt["day"][i], d)
        self.assertEqual(dt["service"][i], run.services[s])
        self.assertEqual(dt["demand"][i], g["daily/demand"][c, d, s])

    def test_single_file_study_table(self):
        st = self.out.study_table()
        self.assertEqual(len(st), 1)
        self.assertTrue(st["ok"][0])
        self.assertEqual(self.out.study_axes(), [])

    def test_run_out_of_range(self):
        with self.assertRaises(CommsimFileError):
            self.out.run(5)


class Study(unittest.TestCase):
    def test_study_table(self):
        with open_output(Data.path("study.h5")) as out:
            self.assertTrue(out.is_study)
            self.assertEqual(sorted(out.study_axes()), sorted([STAFF_AXIS, SIZE_AXIS]))
            st = out.study_table()
            n = 2 * len(STUDY_GRID)
            self.assertEqual(len(st), n)
            self.assertEqual(int(st["ok"].sum()), n - len(STUDY_FAILED))
            self.assertEqual(len(out.runs), n - len(STUDY_FAILED))
            for row in st.rows():
                v = int(row["variant"])
                self.assertEqual(row[STAFF_AXIS], STUDY_GRID[v][STAFF_AXIS])
                self.assertEqual(row[SIZE_AXIS], STUDY_GRID[v][SIZE_AXIS])
                if (v, int(row["replicate"])) in STUDY_FAILED:
                    self.assertFalse(row["ok"])
                    self.assertEqual(row["run"], "")
                else:
                    run = out.run(row["run"])
                    self.assertEqual(run.attr("variant"), v)
                    self.assertEqual(run.attr("replicate"), row["replicate"])
                    self.assertEqual(run.attr("seed"), row["seed"])

    def test_nested_layout(self):
        """The layout of `commsim study` (axes in /study/axes/, numeric status, wall_s in
        /study/bookkeeping/, base_variant attribute) reads the same as the flat one."""
        tmp = tempfile.mkdtemp()
        try:
            nested = os.path.join(tmp, "nested.h5")
            shutil.copy(Data.path("study.h5"), nested)
            with h5py.File(nested, "r+") as f:
                st = f["study"]
                st.create_group("axes")
                for ax in (STAFF_AXIS, SIZE_AXIS):
                    st.move(ax, "axes/" + ax)
                st.create_group("bookkeeping")
                st.move("wall_s", "bookkeeping/wall_s")
                status = np.array([1 if s == "ok" else 0 for s in st["status"].asstr()[:]], dtype=np.uint64)
                del st["status"]
                st["status"] = status
                st.attrs["base_variant"] = np.int64(1)
                st.create_group("variants")["name"] = [f"variant-{v}" for v in range(len(STUDY_GRID))]
            with open_output(Data.path("study.h5")) as a, open_output(nested) as b:
                self.assertEqual(sorted(b.study_axes()), sorted([STAFF_AXIS, SIZE_AXIS]))
                ta, tb = a.study_table(), b.study_table()
                for k in ("run", "ok", "variant", "replicate", "seed", "wall_s", STAFF_AXIS, SIZE_AXIS):
                    np.testing.assert_array_equal(ta[k], tb[k], err_msg=k)
                self.assertEqual(list(tb["status"]).count("failed (0)"), len(STUDY_FAILED))
                self.assertEqual(a.base_variant, 0)
                self.assertEqual(b.base_variant, 1)
                self.assertEqual(b.variant_names()[2], "variant-2")
                import report
                r = report.Report(b, os.path.join(tmp, "rep"))
                self.assertEqual(r.base_v, 1)
                self.assertEqual(r.rep.attr("variant"), 1)
                self.assertEqual(r.base_values()[STAFF_AXIS], STUDY_GRID[1][STAFF_AXIS])
        finally:
            shutil.rmtree(tmp)

    def test_mean_ci(self):
        m, hw, n = mean_ci([1.0, 2.0, 3.0])
        self.assertEqual((m, n), (2.0, 3))
        self.assertAlmostEqual(hw, 4.303 * 1.0 / 3 ** 0.5, places=6)
        self.assertTrue(np.isnan(mean_ci([1.0])[1]))


if __name__ == "__main__":
    main()
