// Study tables and their writers (study_output.hpp).
#include "sim/study/study_output.hpp"

#include <algorithm>
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

// One of the study's axis datasets (study_axis_datasets) with its entries.
void write_names(Hdf5Output& out, const std::string& dataset, std::vector<std::string> values) {
  const AxisDataset& a = study_axis_dataset(dataset);
  ColumnData c;
  c.info = &a.info;
  c.name = a.info.name;
  c.dtype = Dtype::text;
  c.dims = {values.size()};
  c.axes = {a.axis};
  c.values = std::move(values);
  out.write_column(a.group, c, Storage::rows);
}

}  // namespace

void write_study_header(Hdf5Output& out, const StudyPlan& plan) {
  const StudyFileFacts file{plan.study.file, plan.study.text, plan.hash};
  const StudyFacts facts{plan.study.design,     static_cast<int64_t>(plan.scenarios.size()),
                         plan.study.replicates, plan.runs(),
                         plan.base_variant,     plan.independent_streams};
  const StudyAxes len{plan.scenarios.size(), static_cast<size_t>(plan.runs()), plan.study.axis_keys.size(), 0, 0};
  write_result_table(out, "/", study_file_table(), &file, 1, len);
  write_result_table(out, "/study", study_facts_table(), &facts, 1, len);
  write_names(out, "axis_names", plan.study.axis_keys);
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
  write_names(out, "metric_names", metric_names);
  write_names(out, "variant_names", s.variant_names);
  write_names(out, "service_names", s.services);
  write_result_table(out, "/study/summary", study_summary_table(), cells.data(), cells.size(), len);
}

void write_study_bookkeeping(Hdf5Output& out, const std::vector<RunBookkeeping>& runs, const BookkeepingFacts& facts) {
  StudyAxes len;
  len.runs = runs.size();
  write_result_table(out, "/study/bookkeeping", run_bookkeeping_table(), runs.data(), runs.size(), len);
  write_result_table(out, "/study/bookkeeping", bookkeeping_facts_table(), &facts, 1, len);
}

}  // namespace commsim
