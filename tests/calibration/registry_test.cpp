// The parameter registry (issue 16): the shipped registry covers every numeric key of the scenario
// schema (a new key fails here, saying what to add), resolves the parameters of every shipped
// scenario, samples within its ranges, applies values as --set does, and `commsim params --json`
// keeps its contract.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/calibration/registry.hpp"
#include "sim/calibration/sources.hpp"
#include "tests/reliability/process.hpp"
#include "tests/calibration/calibration_city.hpp"
#include "tests/support.hpp"

using namespace commsim;
namespace fs = std::filesystem;

namespace {

const Parameter& find(const std::vector<Parameter>& params, const std::string& key) {
  return test::item_named(params, key, [](const Parameter& p) { return p.key; });
}

}  // namespace

TEST_CASE("registry: every numeric scenario key is a registered parameter or excluded with a reason",
          "[calibration][registry]") {
  const ParameterRegistry& registry = ParameterRegistry::shipped();
  REQUIRE(!scenario_parameter_leaves().empty());
  for (const auto& leaf : registry.uncovered()) {
    INFO(ParameterRegistry::what_to_add(leaf));
    CHECK(false);
  }
  for (const auto& e : registry.entries()) {
    INFO(e.pattern);
    CHECK(!e.source.empty());
  }
  for (const auto& x : registry.exclusions()) {
    INFO(x.pattern);
    CHECK(!x.reason.empty());
  }
}

TEST_CASE("registry: the coverage failure says exactly what to add", "[calibration][registry]") {
  // A registry without the wildcard entry for service minutes (four lines) leaves that key uncovered.
  std::string lines = test::read_text(test::source_path("sim/calibration/parameters.yaml"));
  const size_t start = lines.find("  services.<service>.service_minutes:");
  REQUIRE(start != std::string::npos);
  size_t end = start;
  for (int i = 0; i < 3; ++i) end = lines.find('\n', end) + 1;
  lines.erase(start, end - start);
  const ParameterRegistry registry = ParameterRegistry::parse(lines, "registry-without-minutes.yaml");
  const auto missing = registry.uncovered();
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].path == "services.<name>.service_minutes");
  const std::string advice = ParameterRegistry::what_to_add(missing[0]);
  CHECK_THAT(advice, Catch::Contains("services.<name>.service_minutes: {low:"));
  CHECK_THAT(advice, Catch::Contains("sim/calibration/parameters.yaml"));
  CHECK_THAT(advice, Catch::Contains("excluded:"));
  // The medical service's own entry still matches; the other services' minutes have no entry.
  const Scenario sc = test::calibration_city();
  try {
    (void)registry.parameters(sc);
    FAIL("a scenario key without an entry was accepted");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("service_minutes"));
    CHECK_THAT(std::string(e.what()), Catch::Contains("Add under parameters"));
  }
}

TEST_CASE("registry: the parameters of every shipped scenario resolve, ranges hold the scenario's values",
          "[calibration][registry]") {
  for (const auto& entry : fs::directory_iterator(test::source_path("scenarios"))) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path());
    const Scenario sc = load_scenario(entry.path().string());
    const std::vector<Parameter> params = ParameterRegistry::shipped().parameters(sc);
    REQUIRE(params.size() > 100);
    std::set<std::string> keys;
    for (const auto& p : params) {
      INFO(p.key);
      CHECK(keys.insert(p.key).second);
      CHECK(!p.source.empty());
      CHECK(p.low <= p.default_value);
      CHECK(p.default_value <= p.high);
      CHECK((p.sampled() ? p.low < p.high : p.low == p.high));
      if (!is_assumption(p.source)) CHECK_NOTHROW(check_source(p.source, SourcePos{}, p.key));
    }
  }
}

TEST_CASE("registry: wildcards, specific entries, only_if and relative ranges", "[calibration][registry]") {
  const Scenario sc = test::calibration_city();
  const std::vector<Parameter> params = ParameterRegistry::shipped().parameters(sc);
  // A specific entry beats the wildcard.
  const Parameter& minutes = find(params, "services.medical.service_minutes");
  CHECK(minutes.entry == "services.medical.service_minutes");
  CHECK(minutes.low == 10);
  CHECK(minutes.high == 15);
  // The wildcard with a relative range: 0.67 x .. 1.5 x the scenario's 15 minutes.
  const Parameter& admin = find(params, "services.dispute_mediation.service_minutes");
  CHECK(admin.entry == "services.<service>.service_minutes");
  CHECK(admin.low == Approx(0.67 * 90));
  CHECK(admin.high == Approx(1.5 * 90));
  // Age bands: one parameter per band, labelled by its ages.
  const Parameter& band = find(params, "population.dependency.2.partial");
  CHECK(band.label == "ages 80-120");
  CHECK(band.default_value == Approx(0.3185));
  // only_if: rate_per_year is a parameter of episodic services only.
  for (const auto& p : params) CHECK(p.key != "services.elderly_home_care.rate_per_year");
  CHECK(find(params, "services.administration.rate_per_year").low == 1);
  // A relative range: 0.5-1.5 x the scenario's fee; of a value 0 it is fixed (a mechanism the
  // scenario switches off).
  const Parameter& fee = find(params, "services.childcare.take_up.fee_yuan_per_month");
  CHECK(fee.distribution != Distribution::fixed);
  CHECK(fee.low == Approx(0.5 * fee.default_value));
  const std::vector<Parameter> free_care = ParameterRegistry::shipped().parameters(
      test::calibration_city({"services.childcare.take_up.fee_yuan_per_month=0"}),
      {"services.childcare.take_up.fee_yuan_per_month"}, false);
  REQUIRE(free_care.size() == 1);
  CHECK(free_care[0].distribution == Distribution::fixed);
  CHECK(free_care[0].low == 0);
  CHECK(free_care[0].high == 0);
  // Integer keys stay integers.
  const Parameter& committee = find(params, "staffing.committee.small");
  CHECK(committee.integer);
  CHECK(committee.lever);
  // Exclusions: run settings, band limits, shares that sum to 1 are not parameters.
  for (const auto& p : params) {
    CHECK(p.key.rfind("run.", 0) != 0);
    CHECK(p.key.find(".from") == std::string::npos);
    CHECK(!(p.key.rfind("facility.uses.", 0) == 0 && p.key.size() > 6 && p.key.substr(p.key.size() - 6) == ".share"));
  }
}

TEST_CASE("registry: sampling stays in range, follows the distribution, and applies as --set", "[calibration][registry]") {
  const Scenario sc = test::calibration_city();
  const std::vector<Parameter> all = ParameterRegistry::shipped().parameters(sc, {}, false);
  const std::vector<Parameter> some = ParameterRegistry::shipped().parameters(
      sc, {"city.density_households_per_km2", "population.dependency.1.full", "staffing.committee.medium"}, false);
  REQUIRE(some.size() == 3);
  for (const auto& p : all)
    for (double u : {0.0, 0.1, 0.5, 0.9, 1.0}) {
      const double v = parameter_quantile(p, u);
      CHECK(v >= p.low);
      CHECK(v <= p.high);
      if (p.integer) CHECK(v == std::round(v));
      const double x = parameter_to_unit(p, parameter_from_unit(p, u));
      if (p.sampled() && !p.integer) CHECK(x == Approx(u).margin(1e-9));
    }
  const Parameter& density = some[0];  // in schema order: city first
  REQUIRE(density.key == "city.density_households_per_km2");
  REQUIRE(density.distribution == Distribution::loguniform);
  CHECK(parameter_quantile(density, 0.5) == Approx(std::sqrt(3000.0 * 20000.0)));
  const Scenario changed = with_parameters(sc, some, {5000, 0.07, 8});
  CHECK(changed.city.density_households_per_km2 == 5000);
  CHECK(changed.population.dependency[1].full == 0.07);
  CHECK(changed.staffing.committee.medium == 8);
  CHECK(changed.population.dependency[1].partial == sc.population.dependency[1].partial);
  // A value the loader refuses names the scenario's check.
  CHECK_THROWS_AS(with_parameters(sc, some, {-5, 0.07, 8}), InputError);
  // Unknown keys are refused with the closest.
  try {
    (void)ParameterRegistry::shipped().parameters(sc, {"services.medical.service_minute"}, false);
    FAIL("unknown key accepted");
  } catch (const InputError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("did you mean 'services.medical.service_minutes'"));
  }
}

TEST_CASE("commsim params --json: only the JSON document on stdout, seven fields, sources never empty",
          "[calibration][cli]") {
  test::TempDir dir("params");
  const test::Outcome o = test::run_shell("exec '" + test::commsim_binary() + "' params '" +
                                              test::source_path("tests/data/calibration-city.yaml") + "' --json",
                                          dir.path(), dir.path());
  REQUIRE(o.exited);
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(o.out);
  REQUIRE(j.size() == 1);
  REQUIRE(j.contains("parameters"));
  REQUIRE(j["parameters"].size() > 100);
  const std::set<std::string> fields = {"key", "unit", "default", "low", "high", "distribution", "source"};
  for (const auto& p : j["parameters"]) {
    std::set<std::string> have;
    for (const auto& [k, v] : p.items()) have.insert(k);
    CHECK(have == fields);
    CHECK(!p["source"].get<std::string>().empty());
    CHECK(!p["unit"].get<std::string>().empty());
    CHECK(p["low"].get<double>() <= p["default"].get<double>());
    CHECK(p["default"].get<double>() <= p["high"].get<double>());
    const std::string d = p["distribution"];
    CHECK((d == "uniform" || d == "loguniform" || d == "triangular" || d == "fixed"));
  }
  // The table form lists the same keys.
  const test::Outcome table = test::run_shell("exec '" + test::commsim_binary() + "' params '" +
                                                  test::source_path("tests/data/calibration-city.yaml") + "'",
                                              dir.path(), dir.path());
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("services.medical.service_minutes"));
}

TEST_CASE("docs/parameters.md and docs/sources.md are generated from the registry and the bibliography",
          "[calibration][docs]") {
  const Scenario baseline = load_scenario(test::source_path("scenarios/xian-baseline.yaml"));
  const std::string parameters = parameters_markdown(ParameterRegistry::shipped(), baseline);
  const std::string sources = sources_markdown();
  for (const auto& [file, generated] :
       {std::pair<std::string, std::string>{"docs/parameters.md", parameters}, {"docs/sources.md", sources}}) {
    INFO(file << " drifted from its generator; regenerate with COMMSIM_WRITE_DOCS=1 ./build/tests/commsim_tests "
                 "\"[calibration][docs]\"");
    const std::string committed = test::read_text(test::source_path(file));
    if (committed != generated && std::getenv("COMMSIM_WRITE_DOCS")) test::write_text(test::source_path(file), generated);
    CHECK(committed == generated);
  }
}
