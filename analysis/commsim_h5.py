#!/usr/bin/python3
"""Reader for commsim HDF5 output files (single runs and studies).

Layout: docs/output-format.md. Only numpy and h5py (Debian python3-h5py / python3-numpy).

    from commsim_h5 import open_output
    with open_output("out.h5") as out:
        print(out.provenance["scenario_name"], out.kind, len(out.runs))
        run = out.run(0)
        cw = run.citywide_services()          # Table: column name -> numpy array
        for name, cov in zip(cw["name"], cw["coverage"]):
            print(name, cov)
        comm = run.communities()              # one row per community
        cov = run.totals("coverage")          # (communities, services)
        if out.is_study:
            st = out.study_table()            # one row per run: variant, replicate, seed, ..., axes

A *Table* is an ordered mapping of column name -> 1-D numpy array of equal length, with
helpers to select rows and write CSV. Every reader raises CommsimFileError with a readable
message for a file that is not a complete commsim output.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections import OrderedDict

import h5py
import numpy as np

FORMAT = "commsim-output"

# Datasets of /study/ that are not axes. Two layouts are read: axes directly in /study/ (one dataset
# per scenario key path next to these), or in the subgroup /study/axes/ (then wall_s may sit in
# /study/bookkeeping/ and the base variant in the /study attribute base_variant).
STUDY_FIXED = ("variant", "replicate", "seed", "status", "wall_s")

# Statuses of a study run that count as a success: numeric 1 (completed), or one of these strings.
OK_STATUSES = {"ok", "done", "success", "succeeded", "complete", "completed", "1"}


class CommsimFileError(Exception):
    """The file is missing, not HDF5, not a commsim output, or incomplete."""


# --------------------------------------------------------------------------------------------
# Tables


class Table:
    """Ordered columns of equal length (numpy arrays); strings are numpy object/str arrays."""

    def __init__(self, columns=None, units=None, name=""):
        self.columns = OrderedDict()
        self.units = dict(units or {})
        self.name = name
        for k, v in (columns or {}).items():
            self[k] = v

    def __setitem__(self, key, values):
        arr = np.asarray(values)
        if arr.ndim != 1:
            raise ValueError(f"column {key!r} must be 1-D, got shape {arr.shape}")
        if self.columns and len(arr) != len(self):
            raise ValueError(f"column {key!r} has {len(arr)} rows, table has {len(self)}")
        self.columns[key] = arr

    def __getitem__(self, key):
        return self.columns[key]

    def __contains__(self, key):
        return key in self.columns

    def __len__(self):
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def keys(self):
        return list(self.columns.keys())

    def select(self, mask_or_index):
        """A new table with the rows picked by a boolean mask or an index array."""
        return Table({k: v[mask_or_index] for k, v in self.columns.items()}, self.units, self.name)

    def row(self, i):
        return OrderedDict((k, v[i]) for k, v in self.columns.items())

    def rows(self):
        for i in range(len(self)):
            yield self.row(i)

    def write_csv(self, fh, with_units=False):
        """CSV with a header row; floats written with repr precision (round-trip exact)."""
        w = csv.writer(fh, lineterminator="\n")
        header = []
        for k in self.columns:
            u = self.units.get(k, "")
            header.append(f"{k} [{u}]" if with_units and u and u != "1" else k)
        w.writerow(header)
        cols = list(self.columns.values())
        for i in range(len(self)):
            w.writerow([format_cell(c[i]) for c in cols])

    def to_csv_string(self, with_units=False):
        buf = io.StringIO()
        self.write_csv(buf, with_units)
        return buf.getvalue()


def format_cell(v):
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8")
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        return repr(f)
    if isinstance(v, (np.integer,)):
        return str(int(v))
    return str(v)


# --------------------------------------------------------------------------------------------
# Helpers


def _read(ds):
    """Whole dataset as numpy; string datasets as an array of str."""
    if h5py.check_string_dtype(ds.dtype) is not None:
        return np.array(ds.asstr()[...], dtype=object)
    return ds[...]


def _attr(obj, key, default=None):
    if key not in obj.attrs:
        return default
    v = obj.attrs[key]
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _units(ds):
    u = ds.attrs.get("units", "")
    return u.decode() if isinstance(u, bytes) else str(u)


def _is_number(x):
    try:
        float(x)
        return True
    except (TypeError, ValueError):
        return False


def _status_str(v):
    """A run status as text: numeric 1 -> 'ok', other numbers -> 'failed (N)'; strings as they are."""
    if isinstance(v, (bytes, np.bytes_, str)):
        return _decode_str(v)
    try:
        return "ok" if int(v) == 1 else f"failed ({int(v)})"
    except (TypeError, ValueError):
        return str(v)


def _decode_str(v):
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8")
    return str(v)


# --------------------------------------------------------------------------------------------
# Runs


class Run:
    """One /runs/NNNN group."""

    def __init__(self, group, index):
        self.group = group
        self.index = index
        self.name = group.name.rsplit("/", 1)[-1]
        self._cache = {}

    # scalar facts -----------------------------------------------------------------------
    @property
    def attrs(self):
        return {k: _attr(self.group, k) for k in self.group.attrs}

    def attr(self, key, default=None):
        return _attr(self.group, key, default)

    def _names(self, path):
        """The string dataset at path (service_names, ...) as a list, read once."""
        if path not in self._cache:
            self._cache[path] = list(_read(self.group[path]))
        return self._cache[path]

    @property
    def services(self):
        return self._names("service_names")

    @property
    def roles(self):
        return self._names("role_names")

    @property
    def facility_uses(self):
        if "facility_use_names" not in self.group:
            return []
        return list(_read(self.group["facility_use_names"]))

    @property
    def community_names(self):
        return self._names("communities/name")

    @property
    def days(self):
        return int(self.attr("days", 0))

    @property
    def has_daily(self):
        return "daily" in self.group

    # tables ------------------------------------------------------------------------------
    def _flat_group_table(self, path, name):
        g = self.group[path]
        t = Table(name=name)
        if "name" in g:
            t["name"] = _read(g["name"])
            t.units["name"] = ""
        for k in _fields(g):
            if k == "name" or k not in g:
                continue
            ds = g[k]
            if not isinstance(ds, h5py.Dataset) or ds.ndim != 1:
                continue
            t[k] = _read(ds)
            t.units[k] = _units(ds)
        return t

    def citywide_services(self):
        """Table, one row per service (citywide/services)."""
        return self._flat_group_table("citywide/services", "citywide_services")

    def citywide_roles(self):
        """Table, one row per role (citywide/roles)."""
        return self._flat_group_table("citywide/roles", "citywide_roles")

    def citywide_activities(self):
        """Table, one row per role and activity (citywide/activities: the WISN workload a year by
        activity; docs/workforce.md), or None in files written before it existed."""
        if "citywide/activities" not in self.group:
            return None
        return self._flat_group_table("citywide/activities", "citywide_activities")

    @property
    def has_districts(self):
        return "districts" in self.group

    def districts(self):
        """Table, one row per district (districts/: facts such as share_60plus, area_km2), or None
        for a file without districts. Per-service values are in district_matrix."""
        return self._flat_group_table("districts", "districts") if self.has_districts else None

    def district_matrix(self, metric):
        """(districts, services) array from districts/ (coverage, demand, unmet_hours, ...)."""
        return self.group["districts"][metric][...]

    def communities(self, expand=True):
        """Table, one row per community. With expand, 2-D facts become one column per role / use
        (staff_<role>, places_<use>); the ragged origin list becomes a ';'-joined string."""
        g = self.group["communities"]
        n = len(self.community_names)
        t = Table(name="communities")
        t["name"] = np.array(self.community_names, dtype=object)
        t.units["name"] = ""
        for k in _order_metrics([k for k in g], g):
            if k in ("name", "origin", "origin_offset"):
                continue
            ds = g[k]
            if ds.ndim == 1 and ds.shape[0] == n:
                t[k] = _read(ds)
                t.units[k] = _units(ds)
            elif expand and ds.ndim == 2 and ds.shape[0] == n:
                labels = self.roles if k == "staff" else (self.facility_uses if k == "places" else None)
                if labels is None or len(labels) != ds.shape[1]:
                    labels = [str(j) for j in range(ds.shape[1])]
                data = ds[...]
                for j, lab in enumerate(labels):
                    t[f"{k}_{lab}"] = data[:, j]
                    t.units[f"{k}_{lab}"] = _units(ds)
        if expand and "origin" in g and "origin_offset" in g:
            origin = _read(g["origin"])
            off = g["origin_offset"][...]
            if len(off) == n + 1:
                t["origin"] = np.array(
                    [";".join(origin[off[c]:off[c + 1]]) for c in range(n)], dtype=object)
                t.units["origin"] = ""
        return t

    def staff(self):
        """(communities, roles) staff in post."""
        return self.group["communities/staff"][...]

    def totals(self, metric):
        """(communities, services) or (communities, roles) array from totals/."""
        return self.group["totals"][metric][...]

    def totals_metrics(self):
        """(service metrics, role metrics) names in totals/."""
        return self._split_by_axis(self.group["totals"])

    def _split_by_axis(self, g):
        """(service datasets, role datasets) of a group, by their last axis, in schema order."""
        nsvc, nrole = len(self.services), len(self.roles)
        s, r = [], []
        for k in _fields(g):
            if k not in g:
                continue
            ds = g[k]
            axes = _axes(ds)
            last = axes[-1] if axes else ("services" if ds.shape[-1] == nsvc else "roles" if ds.shape[-1] == nrole else "")
            (s if last == "services" else r if last == "roles" else []).append(k)
        return s, r

    def totals_table(self, by="services"):
        """Long table: one row per community x service (or role) with every totals/ metric."""
        svc_metrics, role_metrics = self.totals_metrics()
        metrics = svc_metrics if by == "services" else role_metrics
        labels = self.services if by == "services" else self.roles
        names = self.community_names
        C, K = len(names), len(labels)
        t = Table(name=f"totals_{by}")
        t["community"] = np.repeat(np.array(names, dtype=object), K)
        t["service" if by == "services" else "role"] = np.tile(np.array(labels, dtype=object), C)
        for m in metrics:
            ds = self.group["totals"][m]
            t[m] = ds[...].reshape(C * K)
            t.units[m] = _units(ds)
        return t

    def daily(self, metric):
        """(communities, days, services|roles) array from daily/, or None without daily output."""
        if not self.has_daily or metric not in self.group["daily"]:
            return None
        return self.group["daily"][metric][...]

    def daily_metrics(self):
        if not self.has_daily:
            return [], []
        return self._split_by_axis(self.group["daily"])

    def daily_table(self, by="services"):
        """Long table: one row per community x day x service (or role)."""
        if not self.has_daily:
            raise CommsimFileError(f"run {self.name} has no daily records (run.daily_output was off)")
        svc_metrics, role_metrics = self.daily_metrics()
        metrics = svc_metrics if by == "services" else role_metrics
        labels = self.services if by == "services" else self.roles
        names = self.community_names
        g = self.group["daily"]
        C, D, K = g[metrics[0]].shape
        t = Table(name=f"daily_{by}")
        t["community"] = np.repeat(np.array(names, dtype=object), D * K)
        t["day"] = np.tile(np.repeat(np.arange(D, dtype=np.int64), K), C)
        t["service" if by == "services" else "role"] = np.tile(np.array(labels, dtype=object), C * D)
        for m in metrics:
            t[m] = g[m][...].reshape(C * D * K)
            t.units[m] = _units(g[m])
        return t

    def wait_histogram(self):
        """(counts (services, bins), edges (bins+1)) in minutes."""
        return self.group["wait_histogram"][...], self.group["wait_histogram_edges"][...]

    def wait_histogram_table(self):
        counts, edges = self.wait_histogram()
        S, B = counts.shape
        t = Table(name="wait_histogram")
        t["service"] = np.repeat(np.array(self.services, dtype=object), B)
        t["lower_min"] = np.tile(edges[:-1], S)
        t["upper_min"] = np.tile(edges[1:], S)
        t["requests"] = counts.reshape(S * B)
        t.units.update(lower_min="minutes", upper_min="minutes", requests="requests")
        keep = t["requests"] > 0
        return t.select(keep)

    def run_scalars(self):
        """Run attributes as a one-row-per-attribute table (name, value)."""
        a = self.attrs
        return Table({"attribute": np.array(list(a.keys()), dtype=object),
                      "value": np.array([str(v) for v in a.values()], dtype=object)}, name="run_attributes")


# Column order and axes come from the file: every table group has an attribute `fields` (its
# datasets in the order of the results schema, sim/metrics/result_schema.cpp) and every dataset an
# attribute `axes` (docs/output-format.md). Files written before these attributes existed are read
# with the shapes and name order instead.


def _fields(group):
    """The group's datasets in schema order (attribute `fields`), else in name order."""
    f = _attr(group, "fields")
    return [x for x in str(f).split(",") if x] if f else sorted(group.keys())


def _axes(ds):
    """Names of a dataset's axes (attribute `axes`), or None."""
    a = _attr(ds, "axes")
    return str(a).split(",") if a else None


def _order_metrics(metrics, group):
    order = [m for m in _fields(group) if m in metrics]
    return order + sorted(m for m in metrics if m not in order)


# --------------------------------------------------------------------------------------------
# Files


def _root_attr(key):
    """A read-only property: the file's root attribute key, '?' when it is missing."""
    return property(lambda self: _attr(self.file, key, "?"), doc=f"root attribute {key} ('?' when missing)")


class Output:
    """An open commsim output file (run or study). Use open_output()."""

    def __init__(self, path):
        self.path = str(path)
        if not os.path.exists(self.path):
            raise CommsimFileError(f"{self.path}: no such file")
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as e:
            raise CommsimFileError(
                f"{self.path}: not a readable HDF5 file (truncated or not HDF5): {e}") from None
        try:
            self._check()
        except CommsimFileError:
            self.file.close()
            raise

    def _check(self):
        f = self.file
        fmt = _attr(f, "format")
        if fmt != FORMAT:
            raise CommsimFileError(
                f"{self.path}: not a commsim output file (root attribute format={fmt!r}, expected {FORMAT!r})")
        complete = _attr(f, "complete")
        if complete != 1:
            raise CommsimFileError(
                f"{self.path}: incomplete commsim output (root attribute complete={complete!r}, expected 1); "
                "the run that wrote it did not finish")
        if "runs" not in f or len(f["runs"]) == 0:
            raise CommsimFileError(f"{self.path}: commsim output without any /runs group")

    # context manager -----------------------------------------------------------------------
    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # provenance ------------------------------------------------------------------------------
    @property
    def provenance(self):
        return {k: _attr(self.file, k) for k in self.file.attrs}

    scenario_name = _root_attr("scenario_name")
    seed = _root_attr("seed")
    version = _root_attr("version")
    git_commit = _root_attr("git_commit")

    @property
    def kind(self):
        k = _attr(self.file, "kind")
        if k is None:
            return "study" if "study" in self.file else "run"
        return str(k)

    @property
    def is_study(self):
        return self.kind == "study" and "study" in self.file

    def scenario_value(self, key, default=None):
        """A top-level-ish scalar from scenario_yaml by its last key (e.g. 'coverage_target')."""
        y = _attr(self.file, "scenario_yaml", "") or ""
        m = re.search(r"^\s*" + re.escape(key) + r"\s*:\s*([^#\n]+)", y, re.M)
        if not m:
            return default
        v = m.group(1).strip().strip("'\"")
        try:
            return float(v)
        except ValueError:
            return v

    @property
    def coverage_target(self):
        v = self.scenario_value("coverage_target", 0.9)
        return float(v) if isinstance(v, float) else 0.9

    # runs ------------------------------------------------------------------------------------
    @property
    def runs(self):
        """Names of the run groups, in order (e.g. ['0000', '0001'])."""
        return sorted(self.file["runs"].keys())

    def run(self, i=0):
        """Run by position (int) or by group name (str)."""
        names = self.runs
        if isinstance(i, str):
            if i not in names:
                raise CommsimFileError(f"{self.path}: no run group {i!r} (have {', '.join(names)})")
            return Run(self.file["runs"][i], names.index(i))
        if not -len(names) <= i < len(names):
            raise CommsimFileError(f"{self.path}: run {i} out of range (file has {len(names)} runs)")
        return Run(self.file["runs"][names[i]], i % len(names))

    def iter_runs(self):
        for i in range(len(self.runs)):
            yield self.run(i)

    # studies ---------------------------------------------------------------------------------
    def _axes_group(self):
        g = self.file["study"]
        if "axes" in g and isinstance(g["axes"], h5py.Group):
            return g["axes"]
        return g

    def study_axes(self):
        """Names of the study axes (scenario key paths)."""
        if not self.is_study:
            return []
        g = self.file["study"]
        if "axis_names" in g:  # current layout: names in a dataset, values in (runs, axes) tables
            return [str(x) for x in _read(g["axis_names"])]
        g = self._axes_group()
        return [k for k in g if k not in STUDY_FIXED and isinstance(g[k], h5py.Dataset)]

    def _axis_columns(self):
        """{axis key: values over runs} from /study/axis_values (numbers where every value is one)."""
        g = self.file["study"]
        if "axis_names" not in g or "axis_values" not in g:
            return {}
        texts = _read(g["axis_values"])
        numbers = g["axis_numbers"][...] if "axis_numbers" in g else None
        out = OrderedDict()
        for j, key in enumerate(self.study_axes()):
            col = texts[:, j] if texts.ndim == 2 else texts
            if numbers is not None and numbers.ndim == 2 and np.all(np.isfinite(numbers[:, j])):
                out[key] = numbers[:, j].astype(float)
            else:
                out[key] = np.array([str(x) for x in col], dtype=object)
        return out

    @property
    def base_variant(self):
        """The base variant of a study (attribute /study base_variant, else the lowest variant)."""
        if not self.is_study:
            return 0
        b = _attr(self.file["study"], "base_variant")
        if b is not None:
            return int(b)
        return int(np.min(self.file["study"]["variant"][...]))

    def variant_names(self):
        """{variant: name} from /study/variants/name when the file has it, else {}."""
        if not self.is_study or "variants" not in self.file["study"]:
            return {}
        g = self.file["study"]["variants"]
        if not isinstance(g, h5py.Group) or "name" not in g:
            return {}
        return {i: str(n) for i, n in enumerate(_read(g["name"]))}

    def study_table(self):
        """One row per study run: run (group name or ''), ok, variant, replicate, seed, status,
        wall_s and one column per axis. For a single-run file: one row per replicate."""
        if not self.is_study:
            t = Table(name="study")
            runs = list(self.iter_runs())
            t["run"] = np.array([r.name for r in runs], dtype=object)
            t["ok"] = np.ones(len(runs), dtype=bool)
            t["variant"] = np.zeros(len(runs), dtype=np.int64)
            t["replicate"] = np.array([int(r.attr("replicate", k)) for k, r in enumerate(runs)], dtype=np.int64)
            t["seed"] = np.array([int(r.attr("seed", 0)) for r in runs], dtype=np.uint64)
            t["status"] = np.array(["ok"] * len(runs), dtype=object)
            return t
        g = self.file["study"]
        ag = self._axes_group()
        t = Table(name="study")
        n = None
        cols = OrderedDict()
        units = {}
        axis_columns = self._axis_columns()
        places = [(k, g) for k in STUDY_FIXED] + [(k, ag) for k in self.study_axes() if k not in axis_columns]
        if "wall_s" not in g and "bookkeeping" in g and "wall_s" in g["bookkeeping"]:
            places.append(("wall_s", g["bookkeeping"]))
        for k, grp in places:
            if k in grp and isinstance(grp[k], h5py.Dataset):
                v = _read(grp[k])
                if v.dtype == object and len(v) and all(_is_number(x) for x in v):
                    v = np.array([float(x) for x in v])      # axis values stored as text
                cols[k] = v
                units[k] = _units(grp[k])
                n = len(cols[k]) if n is None else n
        for k, v in axis_columns.items():
            cols[k] = v
            units[k] = ""
        if n is None:
            raise CommsimFileError(f"{self.path}: /study has no datasets")
        if "variant" not in cols or "replicate" not in cols:
            raise CommsimFileError(f"{self.path}: /study lacks 'variant' or 'replicate'")
        # Map each row to its run group: by (variant, replicate) attributes, else by position.
        by_key = {}
        for r in self.iter_runs():
            v, rep = r.attr("variant"), r.attr("replicate")
            if v is not None and rep is not None:
                by_key[(int(v), int(rep))] = r.name
        names = self.runs
        run_col, ok_col, status_col = [], [], []
        for i in range(n):
            key = (int(cols["variant"][i]), int(cols["replicate"][i]))
            name = by_key.get(key)
            if name is None and f"{i:04d}" in names and not by_key:
                name = f"{i:04d}"
            st = _status_str(cols["status"][i]) if "status" in cols else "ok"
            status_col.append(st)
            run_col.append(name or "")
            ok_col.append(bool(name) and st.strip().lower() in OK_STATUSES)
        t["run"] = np.array(run_col, dtype=object)
        t["ok"] = np.array(ok_col, dtype=bool)
        for k, v in cols.items():
            t[k] = np.array(status_col, dtype=object) if k == "status" else v
            t.units[k] = units.get(k, "")
        return t


    # sensitivity -----------------------------------------------------------------------------
    @property
    def has_sensitivity(self):
        return "sensitivity" in self.file

    def sensitivity(self):
        """The /sensitivity group of a morris or sobol study (docs/output-format.md) as a dict:
        facts (the group's attributes), parameters, outcomes (a Table: metric, service, unit, mean,
        variance, noise columns; one row per outcome, named by outcome_names) and indices (a dict
        column -> array (outcomes x parameters): the morris or sobol table). None without one."""
        if not self.has_sensitivity:
            return None
        g = self.file["sensitivity"]
        facts = {k: _attr(g, k) for k in g.attrs}
        out = {"facts": facts, "method": facts.get("method"),
               "parameters": [str(x) for x in _read(g["parameter_names"])],
               "outcome_names": [str(x) for x in _read(g["outcome_names"])]}
        t = Table(name="sensitivity outcomes")
        for k in _fields(g["outcomes"]):
            t[k] = _read(g["outcomes"][k])
            t.units[k] = _units(g["outcomes"][k])
        out["outcomes"] = t
        method = out["method"]
        out["indices"] = {k: _read(g[method][k]) for k in _fields(g[method])} if method in g else {}
        out["ranges"] = {k: _read(g["parameters"][k]) for k in _fields(g["parameters"])}
        return out

    # response curves and headroom (commsim curve / commsim headroom, docs/curves.md) ---------
    def curve(self):
        """The /curve group of a `commsim curve` file as a dict, or None: key, points (array),
        replicates, confidence, bend_step, outcomes (names), units, mean and half_width
        (outcomes x points), diff_mean and diff_half_width (outcomes x steps) and marginal
        (a Table over steps)."""
        if "curve" not in self.file:
            return None
        g = self.file["curve"]
        names = [str(x) for x in _read(g["outcomes"]["name"])]
        n, p = len(names), len(g["points"]["value"])
        marginal = Table(name="curve-marginal")
        for k in _fields(g["marginal"]):
            marginal[k] = _read(g["marginal"][k])
            marginal.units[k] = _units(g["marginal"][k])
        return {
            "key": _attr(g, "key"), "points": g["points"]["value"][...].astype(float),
            "replicates": int(_attr(g, "replicates", 0)), "confidence": float(_attr(g, "confidence", 0.95)),
            "bend_step": int(_attr(g, "bend_step", -1)), "bend_ratio": float(_attr(g, "bend_ratio", 0.5)),
            "outcomes": names, "units": [str(x) for x in _read(g["outcomes"]["unit"])],
            "mean": g["values"]["mean"][...].reshape(n, p), "half_width": g["values"]["half_width"][...].reshape(n, p),
            "diff_mean": g["steps"]["diff_mean"][...].reshape(n, max(p - 1, 0)),
            "diff_half_width": g["steps"]["diff_half_width"][...].reshape(n, max(p - 1, 0)),
            "marginal": marginal,
        }

    def headroom(self):
        """The /headroom group of a `commsim headroom` file as a dict, or None: its attributes
        (status, multiplier, failing_multiplier, fails_first, binding, margin, target, ...),
        services (names), evaluations (a Table: multiplier, passes, worst_service, worst_margin)
        and coverage, coverage_half_width (evaluations x services)."""
        if "headroom" not in self.file:
            return None
        g = self.file["headroom"]
        out = {k: _attr(g, k) for k in g.attrs}
        out["services"] = [str(x) for x in _read(g["services"]["name"])]
        ev = Table(name="headroom-evaluations")
        for k in _fields(g["evaluations"]):
            ev[k] = _read(g["evaluations"][k])
        out["evaluations"] = ev
        shape = (len(ev), len(out["services"]))
        out["coverage"] = g["coverage"]["mean"][...].reshape(shape)
        out["coverage_half_width"] = g["coverage"]["half_width"][...].reshape(shape)
        return out

    # uncertainty bands (commsim run --uncertainty N, docs/sensitivity.md) -------------------
    def uncertainty(self):
        """The /uncertainty group of a `commsim run --uncertainty` file as a dict, or None: its
        attributes (samples, replicates, parameters, seed, band_low, band_high, sampling),
        outcomes (a Table: metric, service, unit, point, median, p05, p95; one row per outcome)
        and parameter_table (a Table: key, unit, distribution, default_value, low, high)."""
        if "uncertainty" not in self.file:
            return None
        g = self.file["uncertainty"]
        out = {k: _attr(g, k) for k in g.attrs}
        for name, key in (("outcomes", "outcomes"), ("parameters", "parameter_table")):
            t = Table(name=f"uncertainty-{name}")
            for k in _fields(g[name]):
                t[k] = _read(g[name][k])
                t.units[k] = _units(g[name][k])
            out[key] = t
        return out


def open_output(path):
    """Open and validate a commsim output; raises CommsimFileError if it is not a complete one."""
    return Output(path)


# --------------------------------------------------------------------------------------------
# Statistics used by the report (no scipy available)

# Two-sided 95 % Student t quantiles, df 1..30.
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042]


def t975(df):
    if df < 1:
        return float("nan")
    if df <= 30:
        return _T975[df - 1]
    if df <= 60:
        return 2.000 + (2.042 - 2.000) * (60 - df) / 30
    if df <= 120:
        return 1.980 + (2.000 - 1.980) * (120 - df) / 60
    return 1.960


def mean_ci(values):
    """(mean, half-width of the 95 % t interval, n); half-width nan with fewer than 2 values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return float("nan"), float("nan"), 0
    m = float(v.mean())
    if n < 2:
        return m, float("nan"), n
    return m, t975(n - 1) * float(v.std(ddof=1)) / math.sqrt(n), n
