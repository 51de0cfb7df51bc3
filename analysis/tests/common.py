"""Shared test data for the analysis tests.

Every test script is called as  test_X.py COMMSIM_BINARY [DATA_DIR]  (ctest passes both; the data dir
is filled by the analysis_make_data fixture). Run alone without DATA_DIR, a script makes its own data
in a temporary directory. Runs are tiny: 12 communities, 14 days.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ANALYSIS = os.path.dirname(HERE)
ROOT = os.path.dirname(ANALYSIS)
sys.path.insert(0, ANALYSIS)
sys.path.insert(0, HERE)

import make_study  # noqa: E402

PYTHON = "/usr/bin/python3"
SCENARIO = os.path.join(ROOT, "scenarios", "xian-baseline.yaml")
TINY = {"city.generator.communities": 13, "run.days": 14}  # one community per district or county

STAFF_AXIS = "staffing.rules.community_worker.per_10k"
SIZE_AXIS = "sizing.households"
# Variant 0 is the base (the norm: 18 per 10k); households via sizing.mode=uniform.
STUDY_GRID = [{STAFF_AXIS: 18, SIZE_AXIS: 3000}, {STAFF_AXIS: 10, SIZE_AXIS: 3000}, {STAFF_AXIS: 26, SIZE_AXIS: 3000},
              {STAFF_AXIS: 18, SIZE_AXIS: 1500}, {STAFF_AXIS: 10, SIZE_AXIS: 1500}, {STAFF_AXIS: 26, SIZE_AXIS: 1500}]
STUDY_FAILED = [(5, 1)]      # variant 5, replicate 1 is marked failed (no run group)

FILES = ("single.h5", "replicates.h5", "study.h5", "morris.h5", "sobol.h5", "curve.h5", "headroom.h5",
         "uncertainty.h5")
# The tests' sensitivity studies (tests/data/study-morris.yaml, study-sobol.yaml), run by commsim study.
SENSITIVITY_STUDIES = {"morris.h5": "study-morris.yaml", "sobol.h5": "study-sobol.yaml"}
# commsim curve (3 points x 2 replicates) and commsim headroom on the tiny city, no daily records.
CURVE = ["--key", STAFF_AXIS, "--from", "10", "--to", "26", "--step", "8", "--replicates", "2"]
HEADROOM = ["--target", "0.8", "--tolerance", "0.25"]
# commsim run --uncertainty: the point run and 6 samples of the registry's parameters.
UNCERTAINTY = ["--uncertainty", "6"]


def run_command(binary, command, args, out):
    cmd = [binary, command, SCENARIO] + args + ["-o", out, "--force", "--quiet", "--threads", "2"]
    for k, v in dict(TINY, **{"run.daily_output": "false"}).items():
        cmd += ["--set", f"{k}={v}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")


def make_data(binary, data_dir):
    """single.h5 (daily on), replicates.h5 (2 replicates, no daily), study.h5 (6 variants x 2 replicates,
    no daily, one run marked failed), morris.h5 and sobol.h5 (sensitivity studies by commsim study),
    curve.h5 and headroom.h5 (commsim curve / headroom, no daily), uncertainty.h5 (commsim run
    --uncertainty, no daily)."""
    os.makedirs(data_dir, exist_ok=True)
    done = os.path.join(data_dir, "done")
    if os.path.exists(done):
        return data_dir
    make_study.run_commsim(binary, SCENARIO, os.path.join(data_dir, "single.h5"), TINY)
    make_study.run_commsim(binary, SCENARIO, os.path.join(data_dir, "replicates.h5"),
                           dict(TINY, **{"run.daily_output": "false"}), replicates=2)
    work = os.path.join(data_dir, "variants")
    os.makedirs(work, exist_ok=True)
    variants = make_study.run_variants(binary, SCENARIO, work, [STAFF_AXIS, SIZE_AXIS], STUDY_GRID,
                                       dict(TINY, **{"sizing.mode": "uniform", "run.daily_output": "false"}),
                                       replicates=2)
    make_study.make_study(os.path.join(data_dir, "study.h5"), [STAFF_AXIS, SIZE_AXIS], variants,
                          failed=STUDY_FAILED)
    shutil.rmtree(work)
    for name, study in SENSITIVITY_STUDIES.items():
        subprocess.run([binary, "study", os.path.join(ROOT, "tests", "data", study), "-o",
                        os.path.join(data_dir, name), "--force", "--quiet"], check=True,
                       env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))
    run_command(binary, "curve", CURVE, os.path.join(data_dir, "curve.h5"))
    run_command(binary, "headroom", HEADROOM, os.path.join(data_dir, "headroom.h5"))
    run_command(binary, "run", UNCERTAINTY, os.path.join(data_dir, "uncertainty.h5"))
    open(done, "w").close()
    return data_dir


class Data:
    binary = None
    dir = None
    _tmp = None

    @classmethod
    def setup(cls):
        if cls.dir is None:
            if cls.binary is None:
                raise SystemExit("usage: test_X.py COMMSIM_BINARY [DATA_DIR]")
            if not cls.dir:
                cls._tmp = tempfile.mkdtemp(prefix="commsim-analysis-")
                cls.dir = os.path.join(cls._tmp, "data")
            make_data(cls.binary, cls.dir)
        return cls.dir

    @classmethod
    def path(cls, name):
        return os.path.join(cls.setup(), name)


def tool(name, *args):
    """Run analysis/NAME with /usr/bin/python3; returns CompletedProcess (text)."""
    return subprocess.run([PYTHON, os.path.join(ANALYSIS, name)] + [str(a) for a in args],
                          capture_output=True, text=True,
                          env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE", MPLBACKEND="Agg"))


def main():
    """unittest main taking COMMSIM_BINARY [DATA_DIR] from argv."""
    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        Data.binary = args.pop(0)
        if args and not args[0].startswith("-"):
            Data.dir = args.pop(0)
    try:
        unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
    finally:
        if Data._tmp:
            shutil.rmtree(Data._tmp, ignore_errors=True)


if __name__ == "__main__":
    # python3 common.py BINARY DATA_DIR: make the data (the ctest fixture).
    if len(sys.argv) != 3:
        raise SystemExit("usage: common.py COMMSIM_BINARY DATA_DIR")
    shutil.rmtree(sys.argv[2], ignore_errors=True)
    make_data(sys.argv[1], sys.argv[2])
    print("made", ", ".join(FILES), "in", sys.argv[2])
