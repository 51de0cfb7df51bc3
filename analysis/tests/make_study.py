#!/usr/bin/python3
"""Assemble a study-layout commsim file from single-run files (test helper).

Until `commsim study` writes study files, this builds one with the layout the study writer will use:
root attributes copied from the base run plus kind="study"; /study/ datasets over runs (variant,
replicate, seed, status, wall_s, and one dataset per axis named by its scenario key path); and
/runs/NNNN groups copied from the inputs with attributes variant and replicate.

    make_study.py STUDY.h5 --axis staffing.rules.community_worker.per_10k \
        --variant 18=base.h5 --variant 14=low.h5 ...

or, from Python, make_study(out, axes, variants) where variants is a list of
(dict axis -> value, path of a single-run file); every replicate in a file becomes one study run.
With commsim=BINARY, run_variants() makes the single-run files first.
"""

import argparse
import os
import subprocess
import sys

import h5py
import numpy as np


def run_commsim(binary, scenario, out, sets, replicates=1):
    cmd = [binary, "run", scenario, "-o", out, "--force", "--quiet",
           "--set", f"run.replicates={replicates}"]
    for k, v in sets.items():
        cmd += ["--set", f"{k}={v}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return out


def make_study(out, axes, variants, failed=()):
    """Write a study file. variants: list of (axis values dict, single-run file). Variant 0 is the base.
    failed: (variant, replicate) pairs to mark status 'failed' with no run group (as a crashed run)."""
    rows = []
    tmp = out + ".partial"
    with h5py.File(tmp, "w") as f:
        first = True
        k = 0
        for v, (values, path) in enumerate(variants):
            with h5py.File(path, "r") as src:
                if first:
                    for key, val in src.attrs.items():
                        if key != "complete":
                            f.attrs[key] = val
                    f.attrs["kind"] = "study"
                    f.create_group("runs")
                    first = False
                for rep, name in enumerate(sorted(src["runs"].keys())):
                    g = src["runs"][name]
                    seed = int(g.attrs.get("seed", 0))
                    if (v, rep) in set(failed):
                        rows.append((v, rep, seed, "failed", 0.0, values))
                        continue
                    dst = f"{k:04d}"
                    src.copy(g, f["runs"], name=dst)
                    f["runs"][dst].attrs["variant"] = np.int32(v)
                    f["runs"][dst].attrs["replicate"] = np.int32(rep)
                    rows.append((v, rep, seed, "ok", 0.5 + 0.1 * k, values))
                    k += 1
        st = f.create_group("study")
        st.create_dataset("variant", data=np.array([r[0] for r in rows], dtype=np.int32))
        st.create_dataset("replicate", data=np.array([r[1] for r in rows], dtype=np.int32))
        st.create_dataset("seed", data=np.array([r[2] for r in rows], dtype=np.uint64))
        st.create_dataset("status", data=[r[3] for r in rows], dtype=h5py.string_dtype("utf-8"))
        ds = st.create_dataset("wall_s", data=np.array([r[4] for r in rows], dtype=np.float64))
        ds.attrs["units"] = "s"
        for ax in axes:
            vals = [r[5][ax] for r in rows]
            if all(isinstance(x, (int, float)) for x in vals):
                st.create_dataset(ax, data=np.array(vals, dtype=np.float64))
            else:
                st.create_dataset(ax, data=[str(x) for x in vals], dtype=h5py.string_dtype("utf-8"))
        f.attrs["complete"] = np.int32(1)
    os.replace(tmp, out)
    return out


def run_variants(binary, scenario, workdir, axes, grid, base_sets, replicates=2):
    """Run commsim once per grid point (a list of dicts axis -> value) and return make_study input."""
    variants = []
    for i, values in enumerate(grid):
        sets = dict(base_sets)
        sets.update(values)
        path = os.path.join(workdir, f"variant{i:02d}.h5")
        run_commsim(binary, scenario, path, sets, replicates)
        variants.append((values, path))
    return variants


def main():
    p = argparse.ArgumentParser(description="assemble a study-layout file from single-run files")
    p.add_argument("out")
    p.add_argument("--axis", action="append", required=True, help="axis key path (repeatable)")
    p.add_argument("--variant", action="append", required=True,
                   help="V1[,V2...]=FILE.h5: the axis values (in --axis order) and the run file")
    a = p.parse_args()
    variants = []
    for spec in a.variant:
        vals, path = spec.split("=", 1)
        parts = vals.split(",")
        if len(parts) != len(a.axis):
            p.error(f"{spec}: {len(parts)} values for {len(a.axis)} axes")
        conv = []
        for x in parts:
            try:
                conv.append(float(x))
            except ValueError:
                conv.append(x)
        variants.append((dict(zip(a.axis, conv)), path))
    make_study(a.out, a.axis, variants)
    print(a.out)


if __name__ == "__main__":
    sys.exit(main())
