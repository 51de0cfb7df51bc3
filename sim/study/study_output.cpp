// Study tables, their writers, and the generated output-format documentation (study_output.hpp).
#include "sim/study/study_output.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "sim/metrics/result_schema.hpp"

namespace commsim {

namespace {

// Lengths of the study's axes.
struct StudyAxes {
  size_t variants = 0, runs = 0, axes = 0, metrics = 0, services = 0;
  size_t operator()(const std::string& axis) const {
    if (axis == "variants") return variants;
    if (axis == "runs") return runs;
    if (axis == "study_axes") return axes;
    if (axis == "metrics") return metrics;
    if (axis == "services") return services;
    throw std::logic_error("unknown study axis '" + axis + "'");
  }
};

double number_or_nan(const std::string& text) {
  if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return *end == '\0' ? v : std::numeric_limits<double>::quiet_NaN();
}

// The variant's value of each study axis (its YAML text, "" when the variant does not set it).
std::vector<std::string> axis_values_of(const StudyPlan& plan, const StudyVariant& variant) {
  std::vector<std::string> out;
  for (const auto& key : plan.study.axis_keys) {
    std::string value;
    for (const auto& [k, v] : variant.values)
      if (k == key) value = v;
    out.push_back(value);
  }
  return out;
}

std::vector<double> numbers_of(const std::vector<std::string>& texts) {
  std::vector<double> out;
  for (const auto& t : texts) out.push_back(number_or_nan(t));
  return out;
}

ColumnData names_column(const std::string& name, const std::string& axis, std::vector<std::string> values,
                        const FieldInfo* info) {
  ColumnData c;
  c.info = info;
  c.name = name;
  c.dtype = Dtype::text;
  c.dims = {values.size()};
  c.axes = {axis};
  c.values = std::move(values);
  return c;
}

FieldInfo info(std::string name, std::string description) {
  FieldInfo f;
  f.name = std::move(name);
  f.dtype = Dtype::text;
  f.description = std::move(description);
  return f;
}

const FieldInfo& axis_names_info() {
  static const FieldInfo f = info("axis_names", "scenario key paths the study varies (the study_axes axis)");
  return f;
}
const FieldInfo& metric_names_info() {
  static const FieldInfo f = info("metric_names", "metrics summarised (the metrics axis): citywide service fields");
  return f;
}
const FieldInfo& variant_names_info() {
  static const FieldInfo f = info("variant_names", "variant names (the variants axis)");
  return f;
}
const FieldInfo& service_names_info() {
  static const FieldInfo f = info("service_names", "service names (the services axis)");
  return f;
}

}  // namespace

const Table<StudyFileFacts>& study_file_table() {
  static const Table<StudyFileFacts> t = [] {
    using F = StudyFileFacts;
    Table<F> t;
    t.description = "root attributes a study file adds to the provenance";
    t.storage = Storage::attributes;
    t.fields = {field("study_file", &F::study_file, "", "path of the study file as given"),
                field("study_yaml", &F::study_yaml, "", "the study file's text"),
                field("study_hash", &F::study_hash, "",
                      "hash of the study text, resolved base scenario, --set, streams and program version (resume "
                      "refuses a changed study)")};
    return t;
  }();
  return t;
}

const Table<StudyFacts>& study_facts_table() {
  static const Table<StudyFacts> t = [] {
    using F = StudyFacts;
    Table<F> t;
    t.group = "study";
    t.description = "the study's design";
    t.storage = Storage::attributes;
    t.fields = {field("design", &F::design, "", "grid | variants | lhs"),
                field("variants", &F::variants, "1", "number of variants"),
                field("replicates", &F::replicates, "1", "replicates per variant"),
                field("runs", &F::runs, "1", "variants x replicates"),
                field("base_variant", &F::base_variant, "1", "the variant identical to the base scenario (else 0)"),
                field("independent_streams", &F::independent_streams, "1",
                      "1 when every variant has its own seed (differences then unpaired)")};
    return t;
  }();
  return t;
}

const Table<StudyVariantRow>& study_variant_table() {
  static const Table<StudyVariantRow> t = [] {
    using V = StudyVariantRow;
    Table<V> t;
    t.group = "study/variants";
    t.axes = {"variants"};
    t.description = "one entry per variant";
    t.fields = {field("name", &V::name, "", "variant name (axis=value, ...)"),
                field("overrides", &V::overrides, "", "the variant's key.path=value overrides of the base, one per line"),
                field("scenario_yaml", &V::scenario_yaml, "", "the variant's fully resolved scenario (replay reloads it)"),
                field("seed", &V::seed, "1", "run.seed of the variant (equal for all variants unless independent streams)"),
                field("axis_values", &V::axis_values, "",
                      "the variant's value of each study axis (YAML text; \"\" = not set by the variant)",
                      JsonMode::none, "study_axes"),
                field("axis_numbers", &V::axis_numbers, "1", "axis_values as numbers (NaN where not a number)",
                      JsonMode::none, "study_axes")};
    return t;
  }();
  return t;
}

const Table<StudyRunRow>& study_run_table() {
  static const Table<StudyRunRow> t = [] {
    using R = StudyRunRow;
    Table<R> t;
    t.group = "study";
    t.axes = {"runs"};
    t.description = "one entry per run i = variant x replicates + replicate (group /runs/NNNN)";
    t.fields = {field("variant", &R::variant, "1", "variant index of run i"),
                field("replicate", &R::replicate, "1", "replicate of run i"),
                field("seed", &R::seed, "1", "run.seed of run i"),
                field("status", &R::status, "1", "1 = run i completed (a committed file has every run completed)"),
                field("axis_values", &R::axis_values, "", "run i's value of each study axis (YAML text)",
                      JsonMode::none, "study_axes"),
                field("axis_numbers", &R::axis_numbers, "1", "axis_values as numbers (NaN where not a number)",
                      JsonMode::none, "study_axes")};
    return t;
  }();
  return t;
}

const Table<StudySummaryFacts>& study_summary_facts_table() {
  static const Table<StudySummaryFacts> t = [] {
    using F = StudySummaryFacts;
    Table<F> t;
    t.group = "study/summary";
    t.description = "how the summary was computed";
    t.storage = Storage::attributes;
    t.fields = {field("base_variant", &F::base_variant, "1", "variant the differences are taken against"),
                field("paired", &F::paired, "1", "1 when replicate r of every variant shares its random streams"),
                field("confidence", &F::confidence, "share", "confidence level of every interval")};
    return t;
  }();
  return t;
}

const Table<StudySummaryCell>& study_summary_table() {
  static const Table<StudySummaryCell> t = [] {
    using S = StudySummaryCell;
    Table<S> t;
    t.group = "study/summary";
    t.axes = {"metrics", "variants", "services"};
    t.description = "per metric, variant and service: mean over replicates and paired difference to the base variant";
    t.fields = {field("mean", &S::mean, "metric", "mean over replicates"),
                field("half_width", &S::half_width, "metric", "confidence half-width of the mean (Student t)"),
                field("diff_mean", &S::diff_mean, "metric", "mean of per-replicate differences to the base variant"),
                field("diff_half_width", &S::diff_half_width, "metric",
                      "confidence half-width of the per-replicate differences"),
                field("diff_unpaired_half_width", &S::diff_unpaired_half_width, "metric",
                      "half-width of the difference of means as if unpaired (Welch, df = 2 reps - 2)")};
    return t;
  }();
  return t;
}

const Table<RunBookkeeping>& run_bookkeeping_table() {
  static const Table<RunBookkeeping> t = [] {
    using B = RunBookkeeping;
    Table<B> t;
    t.group = "study/bookkeeping";
    t.axes = {"runs"};
    t.description = "who computed run i and how long it took (differs between executions: excluded from comparisons)";
    t.fields = {field("wall_s", &B::wall_s, "s", "wall time of run i"),
                field("rank", &B::rank, "1", "MPI rank that computed run i (0 without MPI)"),
                field("host", &B::host, "", "host that computed run i")};
    return t;
  }();
  return t;
}

const Table<BookkeepingFacts>& bookkeeping_facts_table() {
  static const Table<BookkeepingFacts> t = [] {
    using B = BookkeepingFacts;
    Table<B> t;
    t.group = "study/bookkeeping";
    t.description = "how the study was run";
    t.storage = Storage::attributes;
    t.fields = {field("command_line", &B::command_line, "", "the command as typed"),
                field("ranks", &B::ranks, "1", "MPI ranks (1 without MPI)")};
    return t;
  }();
  return t;
}

const Table<StudyRunGroupFacts>& study_run_group_table() {
  static const Table<StudyRunGroupFacts> t = [] {
    using G = StudyRunGroupFacts;
    Table<G> t;
    t.description = "attributes a study adds to each run group";
    t.storage = Storage::attributes;
    t.fields = {field("variant", &G::variant, "1", "the run's variant"),
                field("variant_name", &G::variant_name, "", "the variant's name"),
                field("complete", &G::complete, "1", "1, written last: the run is complete (resume redoes others)")};
    return t;
  }();
  return t;
}

void write_study_header(Hdf5Output& out, const StudyPlan& plan) {
  const StudyFileFacts file{plan.study.file, plan.study.text, plan.hash};
  const StudyFacts facts{plan.study.design, static_cast<int64_t>(plan.scenarios.size()), plan.study.replicates,
                         plan.runs(), plan.base_variant, plan.independent_streams};
  const StudyAxes len{plan.scenarios.size(), static_cast<size_t>(plan.runs()), plan.study.axis_keys.size(), 0, 0};
  write_result_table(out, "/", study_file_table(), &file, 1, len);
  write_result_table(out, "/study", study_facts_table(), &facts, 1, len);
  out.write_column("/study", names_column("axis_names", "study_axes", plan.study.axis_keys, &axis_names_info()),
                   Storage::rows);
  std::vector<StudyVariantRow> rows;
  for (size_t v = 0; v < plan.scenarios.size(); ++v) {
    StudyVariantRow r;
    r.name = plan.study.variants[v].name;
    for (const auto& s : plan.study.variants[v].overrides()) r.overrides += (r.overrides.empty() ? "" : "\n") + s;
    r.scenario_yaml = plan.scenarios[v].resolved_yaml;
    r.seed = plan.scenarios[v].run.seed;
    r.axis_values = axis_values_of(plan, plan.study.variants[v]);
    r.axis_numbers = numbers_of(r.axis_values);
    rows.push_back(std::move(r));
  }
  write_result_table(out, "/study/variants", study_variant_table(), rows.data(), rows.size(), len);
}

void write_study_runs(Hdf5Output& out, const StudyPlan& plan) {
  const StudyAxes len{plan.scenarios.size(), static_cast<size_t>(plan.runs()), plan.study.axis_keys.size(), 0, 0};
  std::vector<StudyRunRow> rows;
  for (int i = 0; i < plan.runs(); ++i) {
    StudyRunRow r;
    r.variant = plan.variant_of(i);
    r.replicate = plan.replicate_of(i);
    r.seed = plan.scenarios[static_cast<size_t>(r.variant)].run.seed;
    r.status = 1;
    r.axis_values = axis_values_of(plan, plan.study.variants[static_cast<size_t>(r.variant)]);
    r.axis_numbers = numbers_of(r.axis_values);
    rows.push_back(std::move(r));
  }
  write_result_table(out, "/study", study_run_table(), rows.data(), rows.size(), len);
}

void write_study_summary(Hdf5Output& out, const StudySummary& s) {
  const StudyAxes len{s.variant_names.size(), 0, 0, s.metrics.size(), s.services.size()};
  const StudySummaryFacts facts{s.base_variant, s.paired, s.confidence};
  write_result_table(out, "/study/summary", study_summary_facts_table(), &facts, 1, len);
  std::vector<std::string> metric_names;
  std::vector<StudySummaryCell> cells;
  for (const auto& m : s.metrics) {
    metric_names.push_back(m.metric);
    for (size_t v = 0; v < s.variant_names.size(); ++v)
      for (size_t k = 0; k < s.services.size(); ++k)
        cells.push_back(StudySummaryCell{m.value[v][k].mean, m.value[v][k].half_width, m.diff[v][k].mean,
                                         m.diff[v][k].half_width, m.diff_unpaired_half_width[v][k]});
  }
  out.write_column("/study/summary", names_column("metric_names", "metrics", metric_names, &metric_names_info()),
                   Storage::rows);
  out.write_column("/study/summary", names_column("variant_names", "variants", s.variant_names, &variant_names_info()),
                   Storage::rows);
  out.write_column("/study/summary", names_column("service_names", "services", s.services, &service_names_info()),
                   Storage::rows);
  write_result_table(out, "/study/summary", study_summary_table(), cells.data(), cells.size(), len);
}

void write_study_bookkeeping(Hdf5Output& out, const std::vector<RunBookkeeping>& runs, const BookkeepingFacts& facts) {
  StudyAxes len;
  len.runs = runs.size();
  write_result_table(out, "/study/bookkeeping", run_bookkeeping_table(), runs.data(), runs.size(), len);
  write_result_table(out, "/study/bookkeeping", bookkeeping_facts_table(), &facts, 1, len);
}

}  // namespace commsim
