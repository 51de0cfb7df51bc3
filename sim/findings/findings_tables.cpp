// The /findings tables of a findings study file (findings.hpp; docs/output-format.md).
#include <cmath>
#include <stdexcept>

#include "sim/findings/findings.hpp"
#include "sim/io/hdf5_output.hpp"

namespace commsim {

void write_findings(Hdf5Output& out, const FindingsSummary& s) {
  const size_t draws = s.curves.size();
  size_t drivers = 0;
  for (const Finding& f : s.findings) drivers += f.drivers.size();
  auto length = [&](const std::string& axis) -> size_t {
    if (axis == "draws") return draws;
    if (axis == "findings") return s.findings.size();
    if (axis == "drivers") return drivers;
    if (axis == "parameters") return s.parameters.size();
    if (axis == "staffing_points") return s.staffing_points.size();
    if (axis == "size_points") return s.size_points.size();
    throw std::logic_error("unknown findings axis '" + axis + "'");
  };
  FindingsFacts facts;
  facts.draws = s.draws;
  facts.replicates = s.replicates;
  facts.parameters = static_cast<int64_t>(s.parameters.size());
  facts.seed = s.seed;
  write_result_table(out, "/findings", findings_facts_table(), &facts, 1, length);
  std::vector<FindingRow> rows;
  std::vector<FindingDriverRow> driver_rows;
  for (const Finding& f : s.findings) {
    rows.push_back({f.info.name, f.info.unit, f.info.description, f.point, f.median, f.p05, f.p95, f.draws, f.chance_share});
    for (const auto& d : f.drivers) driver_rows.push_back({f.info.name, d.parameter, d.share, d.above_chance});
  }
  write_result_table(out, "/findings/findings", findings_table(), rows.data(), rows.size(), length);
  write_result_table(out, "/findings/drivers", finding_driver_table(), driver_rows.data(), driver_rows.size(), length);
  std::vector<FindingValueCell> values;
  for (const auto& v : s.values)
    for (double x : v) values.push_back({x});
  write_result_table(out, "/findings/values", finding_value_table(), values.data(), values.size(), length);
  const std::vector<UncertaintyParameterRow> parameters = parameter_rows(s.parameters);
  write_result_table(out, "/findings/parameters", findings_parameter_table(), parameters.data(), parameters.size(), length);
  std::vector<FindingDrawRow> draw_rows;
  std::vector<FindingCurveCell> staffing, size;
  for (const DrawCurves& c : s.curves) {
    draw_rows.push_back({c.value_of_hour});
    for (const auto& [series, cells] : {std::pair{&c.staffing, &staffing}, std::pair{&c.size, &size}})
      for (size_t p = 0; p < series->points.size(); ++p)
        cells->push_back({series->unmet_hours[p], series->cost_yuan[p], series->staff[p], series->residents[p]});
  }
  write_result_table(out, "/findings/draws", finding_draw_table(), draw_rows.data(), draw_rows.size(), length);
  write_result_table(out, "/findings/staffing_curve", finding_staffing_table(), staffing.data(), staffing.size(), length);
  write_result_table(out, "/findings/size_curve", finding_size_table(), size.data(), size.size(), length);
}

const Table<FindingsFacts>& findings_facts_table() {
  using F = FindingsFacts;
  static const Table<F> t = make_table<F>(
      "findings_facts", "findings", {},
      {COMMSIM_FIELDS(F, draws, replicates, parameters, seed, staffing_key, size_key, band_low, band_high)},
      Storage::attributes);
  return t;
}

const Table<FindingRow>& findings_table() {
  using R = FindingRow;
  static const Table<R> t = make_table<R>("finding", "findings/findings", {"findings"},
                                          {COMMSIM_FIELDS(R, name, unit, description, point, median, p05, p95, draws, chance_share)});
  return t;
}

const Table<FindingValueCell>& finding_value_table() {
  static const Table<FindingValueCell> t =
      make_table<FindingValueCell>("finding_value", "findings/values", {"draws", "findings"},
                                   {field("value", &FindingValueCell::value)});
  return t;
}

const Table<FindingDriverRow>& finding_driver_table() {
  using D = FindingDriverRow;
  static const Table<D> t =
      make_table<D>("finding_driver", "findings/drivers", {"drivers"}, {COMMSIM_FIELDS(D, finding, parameter, share, above_chance)});
  return t;
}

const Table<UncertaintyParameterRow>& findings_parameter_table() {
  using P = UncertaintyParameterRow;
  static const Table<P> t = make_table<P>("findings_parameter", "findings/parameters", {"parameters"},
                                          {COMMSIM_FIELDS(P, key, unit, distribution, default_value, low, high)});
  return t;
}

const Table<FindingDrawRow>& finding_draw_table() {
  static const Table<FindingDrawRow> t =
      make_table<FindingDrawRow>("finding_draw", "findings/draws", {"draws"},
                                 {field("value_of_service_hour_yuan", &FindingDrawRow::value_of_service_hour_yuan)});
  return t;
}

const Table<FindingCurveCell>& finding_staffing_table() {
  using C = FindingCurveCell;
  static const Table<C> t = make_table<C>("finding_staffing_curve", "findings/staffing_curve", {"draws", "staffing_points"},
                                          {COMMSIM_FIELDS(C, unmet_hours, cost_yuan, staff, residents)});
  return t;
}

const Table<FindingCurveCell>& finding_size_table() {
  using C = FindingCurveCell;
  static const Table<C> t = make_table<C>("finding_size_curve", "findings/size_curve", {"draws", "size_points"},
                                          {COMMSIM_FIELDS(C, unmet_hours, cost_yuan, staff, residents)});
  return t;
}

}  // namespace commsim
