// docs/output-format.md, generated from the results schema (output_format.hpp).
#include "sim/reference/output_format.hpp"

#include <algorithm>
#include <cctype>

#include "sim/curve/curve.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/study/sensitivity_study.hpp"
#include "sim/findings/findings.hpp"
#include "sim/plan/pareto.hpp"
#include "sim/uncertainty/uncertainty.hpp"

namespace commsim {

namespace {

std::string join_axes(const std::vector<std::string>& axes) {
  std::string out;
  for (const auto& a : axes) out += (out.empty() ? "" : ", ") + a;
  return "(" + out + ")";
}

std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// One documented object: where, what kind, type, shape, unit, meaning.
struct DocRow {
  std::string path, kind, dtype, shape, unit, description;
};

template <class Row>
void table_rows(const std::string& where, const Table<Row>& t, std::vector<DocRow>& out) {
  const std::string group = t.group.empty() ? where : where + "/" + t.group;
  for (const auto& f : t.fields) {
    if (t.storage == Storage::attributes) {
      out.push_back({group + "@" + f.name, "attribute", dtype_name(f.dtype), "scalar", f.unit, f.description});
      continue;
    }
    std::vector<std::string> axes = t.axes;
    if (f.axis == "ragged") {
      out.push_back({group + "/" + f.name, "dataset", dtype_name(f.dtype), "(total)", f.unit, f.description});
      out.push_back({group + "/" + f.name + "_offset", "dataset", "u64", "(" + t.axes.front() + " + 1)", "1",
                     f.offset_description});
      continue;
    }
    if (!f.axis.empty()) axes.push_back(f.axis);
    out.push_back({group + "/" + f.name, "dataset", dtype_name(f.dtype), join_axes(axes), f.unit, f.description});
  }
}

// Axis datasets (names of an axis' entries) under `where` (their own group when `where` is empty).
void axis_rows(const std::string& where, const std::vector<AxisDataset>& datasets, std::vector<DocRow>& out) {
  for (const auto& a : datasets)
    out.push_back({(where.empty() ? a.group : where) + "/" + a.info.name, "dataset", dtype_name(a.info.dtype),
                   "(" + a.axis + ")", a.info.unit, a.info.description});
}

void absolute_paths(std::vector<DocRow>& rows) {
  for (auto& r : rows)
    if (r.path.rfind("/", 0) != 0) r.path = "/" + r.path;
}

// Every table of a run group, in file order (the tables of for_each_run_table).
template <class Visit>
void for_each_run_table_type(Visit&& visit) {
  const RunResult none;
  for_each_run_table(none, [&](const auto& table, const auto*, size_t) { visit(table); });
}

std::vector<DocRow> run_rows() {
  const std::string g = "/runs/{run}";
  std::vector<DocRow> rows;
  std::vector<std::string> groups;
  for_each_run_table_type([&](const auto& table) {
    table_rows(g, table, rows);
    if (static_cast<const void*>(&table) == &run_table()) axis_rows(g, run_axis_datasets(), rows);
    if (!table.group.empty() && std::find(groups.begin(), groups.end(), table.group) == groups.end())
      groups.push_back(table.group);
  });
  for (const auto& group : groups)
    rows.push_back({g + "/" + group + "@fields", "attribute", "string", "scalar", "",
                    "the group's datasets in schema order, comma-separated"});
  return rows;
}

std::vector<DocRow> study_rows() {
  std::vector<DocRow> rows;
  table_rows("", study_file_table(), rows);
  for (auto& r : rows) r.path = "/" + r.path;  // root attributes: "/@name"
  table_rows("", study_facts_table(), rows);
  table_rows("", study_run_table(), rows);
  table_rows("", study_variant_table(), rows);
  table_rows("", study_summary_facts_table(), rows);
  for (const auto& a : study_axis_datasets())
    rows.push_back({a.group + "/" + a.info.name, "dataset", dtype_name(a.info.dtype), "(" + a.axis + ")", a.info.unit,
                    a.info.description});
  table_rows("", study_summary_table(), rows);
  table_rows("", run_bookkeeping_table(), rows);
  table_rows("", bookkeeping_facts_table(), rows);
  for (const auto& f : run_bookkeeping_table().fields)
    rows.push_back({"/study/bookkeeping/runs/{run}@" + f.name, "attribute", dtype_name(f.dtype), "scalar", f.unit,
                    f.description + " (written as run i completes)"});
  table_rows("/runs/{run}", study_run_group_table(), rows);
  absolute_paths(rows);
  return rows;
}

// The /sensitivity group of a morris or sobol study (sensitivity_study.hpp).
std::vector<DocRow> sensitivity_rows() {
  std::vector<DocRow> rows;
  axis_rows("", sensitivity_axis_datasets(), rows);
  for_each_sensitivity_table([&](const auto& table) { table_rows("", table, rows); });
  absolute_paths(rows);
  return rows;
}

// The tables `commsim curve`, `commsim headroom` (sim/curve/curve.hpp), `commsim run --uncertainty`
// (sim/uncertainty/uncertainty.hpp) and `commsim findings` (sim/findings/findings.hpp) add to their study files.
template <class Visit, class... Tables>
void visit_tables(Visit& visit, const Tables&... tables) {
  (visit(tables), ...);
}

template <class Visit>
void for_each_command_table(Visit&& visit) {
  visit_tables(visit, curve_facts_table(), curve_outcome_table(), curve_point_table(), curve_value_table(),
               curve_step_table(), curve_marginal_table());
  visit_tables(visit, headroom_facts_table(), headroom_service_table(), headroom_evaluation_table(),
               headroom_coverage_table());
  visit_tables(visit, uncertainty_facts_table(), uncertainty_parameter_table(), uncertainty_outcome_table());
  visit_tables(visit, findings_facts_table(), findings_table(), finding_value_table(), finding_driver_table(),
               findings_parameter_table(), finding_draw_table(), finding_staffing_table(), finding_size_table());
}

// The tables of `commsim pareto -o` (sim/plan/pareto.hpp).
template <class Visit>
void for_each_pareto_table(Visit&& visit) {
  visit_tables(visit, pareto_facts_table(), pareto_lever_table(), pareto_objective_table(), pareto_front_lever_table(),
               pareto_front_objective_table());
}

// A table's section title: "`/group` attributes" or "`/group/`".
template <class Row>
std::string group_title(const Table<Row>& t) {
  return "`/" + t.group + (t.storage == Storage::attributes ? "` attributes" : "/`");
}

std::vector<DocRow> command_rows() {
  std::vector<DocRow> rows;
  for_each_command_table([&](const auto& table) { table_rows("", table, rows); });
  for_each_pareto_table([&](const auto& table) { table_rows("", table, rows); });
  return rows;
}

std::vector<DocRow> root_rows() {
  std::vector<DocRow> rows;
  table_rows("", file_facts_table(), rows);
  table_rows("", provenance_table(), rows);
  table_rows("", run_file_table(), rows);
  for (auto& r : rows) r.path = "/" + r.path;
  return rows;
}

// Attributes every dataset carries.
std::vector<DocRow> dataset_attribute_rows() {
  return {{"{dataset}@units", "attribute", "string", "scalar", "", "unit of every numeric dataset (see Conventions)"},
          {"{dataset}@description", "attribute", "string", "scalar", "", "what the dataset holds"},
          {"{dataset}@axes", "attribute", "string", "scalar", "", "names of the dataset's axes, comma-separated"}};
}

std::string field_table(const std::vector<DocRow>& rows, const std::string& prefix) {
  std::string out = "| name | type | shape | unit | meaning |\n|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    if (r.path.rfind(prefix, 0) != 0) continue;
    std::string name = r.path.substr(prefix.size());
    if (!name.empty() && (name[0] == '/' || name[0] == '@')) name = name.substr(1);
    out +=
        "| `" + name + "` | " + r.dtype + " | " + r.shape + " | " + cell(r.unit) + " | " + cell(r.description) + " |\n";
  }
  return out;
}

template <class Row>
std::string table_section(const std::string& where, const Table<Row>& t, const std::string& title) {
  std::vector<DocRow> rows;
  table_rows(where, t, rows);
  const std::string group = t.group.empty() ? where : where + "/" + t.group;
  std::string description = t.description;
  if (!description.empty())
    description[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(description[0])));
  std::string out = "### " + title + "\n\n" + description + ".";
  if (t.storage == Storage::attributes) {
    out += " Attributes of `" + (group.empty() ? std::string("/") : group) + "`.\n\n";
    return out + field_table(rows, group + "@");
  }
  out += " Shape " + join_axes(t.axes) +
         (t.chunk_rows ? "; chunked one " + t.axes.front() + " entry a chunk, shuffle + gzip 1" : "") + ".\n\n";
  return out + field_table(rows, group + "/");
}

std::string header_section() {
  return R"(# commsim output format (HDF5, `format_version` 1)

<!-- Generated by commsim::output_format_markdown() (sim/reference/output_format.cpp) from the results
schema (sim/metrics/result_schema.cpp and the analyses' tables, documented in sim/metrics/output_fields.csv;
sim/study/study_output.cpp, sim/io/hdf5_output.cpp). Do not
edit by hand: a test fails when this file drifts (regenerate with
COMMSIM_WRITE_DOCS=1 ./build/tests/commsim_tests "[output-format]"), and the test whose name
contains `output-format` fails when a file holds an object this page does not list, or lists one
no file holds. -->

One HDF5 file per run or study, written by `sim/io/hdf5_output.cpp` (the only code that includes
HDF5). Readable with h5py, h5dump, R `hdf5r`, MATLAB, etc. Every field below is a row of the results
schema, which also generates the `--summary-json` document, the MPI serialisation of run results,
`commsim replay`'s comparison and the tests' golden hash.

## Atomic write guarantee

- The writer creates `OUT.h5.partial` beside the target. Only `commit()` — after every run is
  written — sets the root attribute `complete = 1`, flushes, closes, `fsync`s the file and
  `rename()`s it to `OUT.h5` (then `fsync`s the directory, best effort). A rename within one
  directory is atomic: `OUT.h5` is either the previous file or the complete new one.
- A crash or error before commit leaves at most `OUT.h5.partial` (deleted by the writer's
  destructor on an orderly error path; a stale one from a hard crash is replaced by the next run;
  a study keeps it for `--resume`). The target is never touched before the rename.
- An existing `OUT.h5` is never overwritten without `--force` (`InputError`, key `output`).
- A write failure (no space left, I/O error) becomes `RuntimeFailure` naming the partial file, e.g.
  `HDF5 output '/data/out.h5.partial': cannot write dataset 'demand' (No space left on device)`;
  the partial file is removed and the writer object cannot be used again.
- Readers accept a file only if it opens as HDF5, has `format = "commsim-output"` and
  `complete = 1`. A truncated file fails HDF5's end-of-file check and is reported as incomplete.
- The files are reproducible: object modification times are not stored, so the same results give
  identical groups. A `commsim run -o` file also records how it was computed in root attributes
  (`ranks`, `threads_requested`, `wall_s`): two runs of the same scenario and seed, whatever their
  rank and thread counts, differ there and nowhere else (compare the groups, e.g.
  `h5diff A.h5 B.h5 /runs /runs`).

## Conventions

- **Strings** (attributes and string datasets) are variable-length UTF-8. In h5py 3, attributes
  read as `str`; string datasets read as `bytes` — use `ds.asstr()[...]` to get `str`.
- **Numbers** are little-endian with fixed widths: `u8` flags (0/1), `i32`, `i64`, `u32`, `u64`,
  `f32`, `f64`.
- **Axes**: every dataset has an attribute `axes` naming its dimensions. `communities` in the order
  of `communities/name`; `services`, `roles`, `facility_uses` in the order of `service_names`,
  `role_names`, `facility_use_names`; `days` from day 0 (a Monday); `years` of the run;
  `wait_histogram_bins` as in `wait_histogram_edges`. Arrays are C order (last index fastest).
  No object is named after data: names of services, roles, axes, metrics and variants are entries
  of `*_names` datasets.
- Every numeric dataset has attributes `units` and `description`; every string dataset has
  `description`. Units: `households`, `residents`, `communities`, `requests`, `minutes`, `hours`, `days`, `yuan`, `m2`,
  `km2`, `m`, `s`, `share` (a fraction 0..1), `1` (a count or dimensionless number); `metric`: the
  unit of the metric named by `metric_names`; `outcome`, `parameter`: see Sensitivity. For enrolment services (places, e.g. day care) the
  `requests` counts are person-days (wanting, enrolled, on the waiting list), as the descriptions say.

)";
}

// The summary JSON's `community_size` object: computed from the community table, not stored.
std::string community_size_note() {
  return R"(`--summary-json` adds `community_size`, computed from this table (first replicate, start of the
run; sim/metrics/community_size.hpp): `mean_family_households`, `median_family_households` (households
are family households: residents in collective living are residents, not households),
`mean_residents`, `below_1000` and `above_5000` (communities outside the norm's range, N1.1), and
`classes[]`, one entry per size class of the norm (`micro` below 1,000 family households, `within the
norm`, `oversized` above 5,000) with `name`, `communities` and `staff_per_10k` (community workers,
committee members serving as such included, per 10,000 residents of the class).

)";
}

std::string run_sections() {
  std::string out = "## Root group `/`\n\n";
  const auto root = root_rows();
  out += field_table(root, "/@");
  out += "\nA study file adds the root attributes of the study (below).\n\n";
  out += R"(## Run group `/runs/{run}`

`commsim run` writes one group per replicate (`/runs/0000`, `/runs/0001`, …); a study one per run
i = variant × replicates + replicate. `{run}` is the four-digit run number.

### Axis datasets

)";
  std::vector<DocRow> axes;
  axis_rows("/runs/{run}", run_axis_datasets(), axes);
  out += field_table(axes, "/runs/{run}/") + "\n";
  const std::string g = "/runs/{run}";
  for_each_run_table_type([&](const auto& table) {
    std::string title = table.storage == Storage::attributes ? std::string("Run attributes")
                        : table.group.empty()                 ? "`" + table.fields.front().name + "`"
                                                              : "`" + table.group + "/`";
    if (!table.axes.empty()) title += " — " + join_axes(table.axes);
    out += table_section(g, table, title) + "\n";
    if (static_cast<const void*>(&table) == &community_table())
      out += "The restructuring origin is ragged, so it is stored CSR-style (flat list + offsets).\n\n" + community_size_note();
    if (static_cast<const void*>(&table) == &wait_histogram_table())
      out +=
          "Bins: 240 of 0.25 min on [0, 60), 564 of 5 min on [60, 2880), 1392 of 60 min on [2880, 86400), "
          "then one overflow bin [86400, inf).\n\n";
  });
  return out;
}

std::string study_sections() {
  std::string out = R"(## Study files (root attribute `kind = study`)

A study file holds every run of a study under `/runs/{run}` (as above) and the tables below
(docs/studies.md). Everything outside `/study/bookkeeping` is identical between executions of the
same study, whatever the rank and thread count: compare with
`h5diff --exclude-path /study/bookkeeping A.h5 B.h5`.

)";
  out += table_section("", study_file_table(), "Root attributes of a study") + "\n";
  out += table_section("", study_facts_table(), "`/study` attributes") + "\n";
  out += table_section("", study_run_table(), "`/study` — the run table") + "\n";
  out += "`/study/axis_names` (string, (study_axes)) names the axis keys.\n\n";
  out += table_section("", study_variant_table(), "`/study/variants/` — the variant table") + "\n";
  out += table_section("", study_summary_facts_table(), "`/study/summary` attributes") + "\n";
  out += table_section("", study_summary_table(), "`/study/summary/` — paired summary") + "\n";
  out += "Axis datasets `metric_names`, `variant_names`, `service_names` name the entries of its axes.\n\n";
  out += table_section("", run_bookkeeping_table(), "`/study/bookkeeping/` — per run") + "\n";
  out += "While the study runs, each run's entry is kept as attributes of `/study/bookkeeping/runs/{run}`.\n\n";
  out += table_section("", bookkeeping_facts_table(), "`/study/bookkeeping` attributes") + "\n";
  out += table_section("/runs/{run}", study_run_group_table(), "Study run groups") + "\n";
  return out;
}

std::string analysis_sections() {
  std::string out = R"(## Sensitivity (`/sensitivity`, studies with `design: morris` or `sobol`)

A morris or sobol study (docs/sensitivity.md) adds the indices it computed from its runs. Axes:
`parameters` (the study's axes, named by `/sensitivity/parameter_names`), `outcomes` (named by
`/sensitivity/outcome_names`: `metric:service` per service, `metric` citywide), `variants` (the
design's points). Unit `outcome`: the unit of the outcome, in `/sensitivity/outcomes/unit`;
`parameter`: the parameter's own unit. A morris study has `/sensitivity/morris/`, a sobol study
`/sensitivity/sobol/`.

)";
  for_each_sensitivity_table([&](const auto& table) {
    out += table_section("", table, group_title(table)) + "\n";
  });
  out += "Axis datasets `/sensitivity/parameter_names` and `/sensitivity/outcome_names` name the entries of its axes.\n\n";
  out += R"(## Response curves, headroom, uncertainty bands and findings (`commsim curve`, `commsim headroom`, `commsim run --uncertainty`, `commsim findings`)

Each writes a study file (as above; `study_yaml` is the study the command ran) with one more group
(docs/curves.md, docs/sensitivity.md, docs/findings.md). A curve's variants are its points, in order; a headroom
file's variants are the multipliers evaluated, in the order evaluated; an uncertainty file's
variant 0 is the point run and variants 1..N the parameter samples; a findings file's variants are,
for draw 0 (the point) then draws 1..N, the staffing curve's points and then the size curve's.
`outcome` as a unit: the unit of the outcome named by `/curve/outcomes/unit` or
`/uncertainty/outcomes/unit`; `finding`: the unit in `/findings/findings/unit`; `parameter`: the
parameter's own unit (`/uncertainty/parameters/unit`, `/findings/parameters/unit`).

)";
  for_each_command_table([&](const auto& table) { out += table_section("", table, group_title(table)) + "\n"; });
  out += R"(## Trade-off front (`commsim pareto -o`)

A pareto file holds the root provenance (`kind`: pareto; `seed`: the runs' run.seed) and `/pareto`,
no run groups (docs/planning.md). `/pareto/front_levers` and `/pareto/front_objectives` are
front x levers and front x objectives; the rows of `/pareto/levers` and `/pareto/objectives` name
their columns, and the points are those of `--json`'s `front`, in its order.

)";
  for_each_pareto_table([&](const auto& table) { out += table_section("", table, group_title(table)) + "\n"; });
  return out;
}

std::string index_and_example_sections() {
  std::string out = R"(## Index of objects

Every dataset and attribute a file can hold (`object@attribute` for attributes; `{run}` a run
number; `{dataset}` any dataset).

| object | kind | type | shape | unit |
|---|---|---|---|---|
)";
  for (const auto& list : {root_rows(), run_rows(), study_rows(), sensitivity_rows(), command_rows(), dataset_attribute_rows()})
    for (const auto& r : list)
      out += "| `" + r.path + "` | " + r.kind + " | " + r.dtype + " | " + r.shape + " | " + cell(r.unit) + " |\n";
  out += R"(
## Reading with Python (h5py)

`analysis/commsim_h5.py` reads every table of this page (see analysis/README.md). With h5py alone:

```python
import sys
import h5py

path = sys.argv[1] if len(sys.argv) > 1 else "out.h5"
with h5py.File(path, "r") as f:
    assert f.attrs["format"] == "commsim-output" and f.attrs.get("complete") == 1, "incomplete file"
    print("scenario:", f.attrs["scenario_name"], "seed:", f.attrs["seed"], "build:", f.attrs["git_commit"])
    run = f["runs/0000"]
    services = run["citywide/services"]
    for name, coverage in zip(services["name"].asstr()[:], services["coverage"][:]):
        print(f"{name:20s} coverage {coverage:.3f}")

    communities = list(run["communities/name"].asstr()[:])
    c = 0                                    # or communities.index("C0001")
    if "daily" in run:
        demand = run["daily/demand"][c, :, :]  # (days, services), reads one chunk
        print(communities[c], "daily demand (days x services):")
        print(demand)
```
)";
  return out;
}

}  // namespace

std::vector<DocumentedObject> documented_objects() {
  std::vector<DocumentedObject> out;
  for (const auto& list : {root_rows(), run_rows(), study_rows(), sensitivity_rows(), command_rows(), dataset_attribute_rows()})
    for (const auto& r : list) out.push_back({r.path, r.kind});
  return out;
}

std::string output_format_markdown() {
  return header_section() + run_sections() + study_sections() + analysis_sections() + index_and_example_sections();
}

}  // namespace commsim
