#include "sim/serve/run_files.hpp"

#include <cstdio>
#include <set>
#include <stdexcept>

#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/serve/run_store.hpp"
#include "sim/study/summary.hpp"

namespace commsim::serve {

namespace {

// Citywide datasets of docs/output-format.md read per replicate; the services' numbers are what the
// page and /api/compare show (counts in requests or person-days, shares, minutes).
const char* const kServiceFigures[] = {"demand", "served", "served_in_time", "unmet", "backlog_end", "coverage",
                                       "coverage_resident_weighted", "share_communities_below_target",
                                       "worst_decile_coverage", "gini", "mean_wait_min", "p50_wait_min",
                                       "p90_wait_min", "max_wait_min", "unmet_hours", "mean_wait_working_min",
                                       "p90_wait_working_min"};
const char* const kRoleFigures[] = {"staff", "utilisation", "overtime_share", "overhead_share", "travel_share",
                                    "wisn_pressure", "pay_yuan"};
const char* const kRunFigures[] = {"residents", "households", "requests", "cost_total_yuan", "cost_city_yuan",
                                   "cost_district_yuan", "cost_per_resident_yuan", "cost_per_served_yuan",
                                   "access_share"};

// {name: {figure: value}} from the datasets `group/<figure>` of one citywide table.
nlohmann::json named_table(const std::string& h5, const std::string& group, const char* const* figures, size_t n,
                           std::vector<std::string>* kinds = nullptr) {
  const std::vector<std::string> names = read_string_dataset(h5, group + "/name");
  if (kinds) *kinds = read_string_dataset(h5, group + "/kind");
  nlohmann::json table = nlohmann::json::object();
  for (const auto& name : names) table[name] = nlohmann::json::object();
  for (size_t f = 0; f < n; ++f) {
    const std::vector<double> values = read_double_dataset(h5, group + "/" + figures[f]);
    for (size_t i = 0; i < names.size() && i < values.size(); ++i) table[names[i]][figures[f]] = values[i];
  }
  if (kinds)
    for (size_t i = 0; i < names.size() && i < kinds->size(); ++i) table[names[i]]["kind"] = (*kinds)[i];
  return table;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// One compared figure: both runs' means with their intervals and the paired difference.
nlohmann::json compare_figure(const std::vector<double>& base, const std::vector<double>& variant) {
  const MeanCI b = mean_ci(base), v = mean_ci(variant);
  const PairedDifference d = paired_difference(variant, base);
  return nlohmann::json{{"base", b.mean},           {"base_ci95", b.half_width},
                        {"variant", v.mean},        {"variant_ci95", v.half_width},
                        {"difference", d.diff.mean}, {"difference_ci95", d.diff.half_width},
                        {"unpaired_ci95", d.unpaired_half_width}};
}

// Compares the entries present in both runs of a {name: {figure: value}} table over replicates.
nlohmann::json compare_table(const nlohmann::json& base, const nlohmann::json& variant, const char* table,
                             const char* const* figures, size_t n, std::vector<std::string>& notes) {
  nlohmann::json out = nlohmann::json::object();
  const nlohmann::json& first_b = base.at(0).at(table);
  const nlohmann::json& first_v = variant.at(0).at(table);
  for (const auto& [name, unused] : first_b.items()) {
    (void)unused;
    if (!first_v.contains(name)) {
      notes.push_back(std::string(table) + " '" + name + "' is only in the base run");
      continue;
    }
    for (size_t f = 0; f < n; ++f) {
      std::vector<double> b, v;
      for (size_t r = 0; r < base.size(); ++r) {
        b.push_back(base[r][table][name].value(figures[f], 0.0));
        v.push_back(variant[r][table].contains(name) ? variant[r][table][name].value(figures[f], 0.0) : 0.0);
      }
      out[name][figures[f]] = compare_figure(b, v);
    }
  }
  for (const auto& [name, unused] : first_v.items()) {
    (void)unused;
    if (!first_b.contains(name)) notes.push_back(std::string(table) + " '" + name + "' is only in the variant run");
  }
  return out;
}

}  // namespace

void write_derived_files(const std::string& h5, const std::string& dir, int replicates) {
  nlohmann::json reps = nlohmann::json::array();
  for (int r = 0; r < replicates; ++r) {
    const std::string group = run_group(r);
    nlohmann::json rep;
    rep["replicate"] = r;
    rep["seed"] = std::stoull(read_attribute_text(h5, group, "seed"));
    for (const char* figure : kRunFigures) rep[figure] = std::stod(read_attribute_text(h5, group, figure));
    std::vector<std::string> kinds;
    rep["services"] = named_table(h5, group + "/citywide/services", kServiceFigures, std::size(kServiceFigures), &kinds);
    rep["service_order"] = read_string_dataset(h5, group + "/citywide/services/name");
    rep["roles"] = named_table(h5, group + "/citywide/roles", kRoleFigures, std::size(kRoleFigures));
    reps.push_back(std::move(rep));
  }
  write_file_atomically(dir + "/replicates.json", reps.dump() + "\n");

  // The map: replicate 0's communities (their positions do not change between replicates; their
  // populations, and so the coverage, do).
  const std::string group = run_group(0);
  const std::vector<std::string> services = read_string_dataset(h5, group + "/service_names");
  nlohmann::json map;
  map["replicate"] = 0;
  map["services"] = services;
  map["name"] = read_string_dataset(h5, group + "/communities/name");
  map["district"] = read_string_dataset(h5, group + "/communities/district");
  for (const char* column : {"x_m", "y_m", "households", "residents", "oversized", "micro", "access_share"})
    map[column] = read_double_dataset(h5, group + "/communities/" + column);
  const size_t communities = map["name"].size(), n_services = services.size();
  // Per service, one column of communities; unmet service hours as the CLI reports them (the request
  // count `unmet` misses the requests still waiting at the end).
  const std::pair<const char*, const char*> figures[] = {
      {"coverage", "coverage"}, {"demand", "demand"}, {"unmet", "unmet"}, {"unmet_hours", "unmet_minutes"}};
  for (const auto& [figure, dataset] : figures) {
    const std::vector<double> flat = read_double_dataset(h5, group + "/totals/" + dataset);  // (C, S)
    const double scale = std::string(dataset) == "unmet_minutes" ? 1.0 / 60.0 : 1.0;
    nlohmann::json per_service = nlohmann::json::object();
    for (size_t s = 0; s < n_services; ++s) {
      std::vector<double> column(communities);
      for (size_t c = 0; c < communities && c * n_services + s < flat.size(); ++c)
        column[c] = flat[c * n_services + s] * scale;
      per_service[services[s]] = column;
    }
    map[figure] = per_service;
  }
  write_file_atomically(dir + "/communities.json", map.dump() + "\n");
}

std::string citywide_csv(const nlohmann::json& replicates) {
  std::string out = "replicate,seed,service,kind";
  for (const char* figure : kServiceFigures) out += std::string(",") + figure;
  out += "\n";
  char number[40];
  for (const auto& rep : replicates) {
    for (const auto& name : rep.at("service_order")) {
      const nlohmann::json& row = rep.at("services").at(name.get<std::string>());
      out += std::to_string(rep.at("replicate").get<int>()) + "," + std::to_string(rep.at("seed").get<uint64_t>()) + "," +
             csv_cell(name.get<std::string>()) + "," + csv_cell(row.value("kind", ""));
      for (const char* figure : kServiceFigures) {
        std::snprintf(number, sizeof number, "%.17g", row.value(figure, 0.0));
        out += std::string(",") + number;
      }
      out += "\n";
    }
  }
  return out;
}

nlohmann::json compare_replicates(const nlohmann::json& base, const nlohmann::json& variant) {
  if (base.size() != variant.size() || base.empty())
    throw std::invalid_argument("the runs have " + std::to_string(base.size()) + " and " +
                                std::to_string(variant.size()) +
                                " replicates; paired differences need the same number (set run.replicates alike)");
  std::vector<std::string> notes;
  bool same_seeds = true, same_population = true;
  for (size_t r = 0; r < base.size(); ++r) {
    same_seeds = same_seeds && base[r].at("seed") == variant[r].at("seed");
    same_population = same_population && base[r].at("residents") == variant[r].at("residents");
  }
  if (!same_seeds)
    notes.push_back("the seeds differ: replicate r of each run drew different random streams, so pairing removes no "
                    "noise; read unpaired_ci95");
  if (!same_population)
    notes.push_back("the populations differ (residents " + base[0].at("residents").dump() + " vs " +
                    variant[0].at("residents").dump() +
                    " in replicate 0): the differences include the change of city, not only of the levers");
  nlohmann::json out;
  out["service_order"] = base[0].value("service_order", nlohmann::json::array());  // (objects are keyed in name order)
  out["replicates"] = base.size();
  out["confidence"] = 0.95;
  out["paired"] = same_seeds;
  out["services"] = compare_table(base, variant, "services", kServiceFigures, std::size(kServiceFigures), notes);
  out["roles"] = compare_table(base, variant, "roles", kRoleFigures, std::size(kRoleFigures), notes);
  nlohmann::json run = nlohmann::json::object();
  for (const char* figure : kRunFigures) {
    std::vector<double> b, v;
    for (size_t r = 0; r < base.size(); ++r) {
      b.push_back(base[r].value(figure, 0.0));
      v.push_back(variant[r].value(figure, 0.0));
    }
    run[figure] = compare_figure(b, v);
  }
  out["run"] = run;
  out["notes"] = notes;
  return out;
}

}  // namespace commsim::serve
