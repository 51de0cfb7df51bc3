// Scenario loader: defaults, precedence (defaults < base < file < --set), extends chains and cycles,
// CSV city files, round trip through scenario_to_yaml, the reference docs, and bad input: every bad
// input must throw InputError naming the key path and the line.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "sim/core/error.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/tree.hpp"
#include "sim/scenario/yaml_quote.hpp"
#include "tests/support.hpp"

using namespace commsim;
using commsim::test::read_text;
using commsim::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kData = COMMSIM_SOURCE_DIR "/tests/data";

// A valid minimal scenario as text (same content as tests/data/good/minimal.yaml).
const std::string kMinimal = R"(name: mini
city:
  communities:
    - {name: A, households: 3500}
population:
  household_size_shares: [0.25, 0.30, 0.21, 0.13, 0.06, 0.05]
  age_shares:
    - {from: 0, to: 59, value: 0.8}
    - {from: 60, to: 120, value: 0.2}
staffing:
  roles:
    community_worker: {}
services:
  admin:
    role: community_worker
    rate_per_year: 2.0
)";

// Loads `text` (appended to nothing: a whole scenario) and checks the InputError's key and line.
void expect_error(const std::string& text, const std::string& key, int line, const std::string& fragment,
                  const std::vector<std::string>& overrides = {}) {
  try {
    load_scenario_text(text, "test.yaml", kData + "/good", overrides);
    FAIL("no InputError for key " << key);
  } catch (const InputError& e) {
    INFO(e.what());
    CHECK(e.key() == key);
    CHECK(e.pos().line == line);
    CHECK(std::string(e.what()).find("key '" + key + "'") != std::string::npos);
    CHECK(std::string(e.what()).find(fragment) != std::string::npos);
  }
}

// The minimal scenario followed by `extra` sections (later keys win via extends of the good file).
std::string over_minimal(const std::string& extra) { return "extends: minimal.yaml\n" + extra; }

}  // namespace

TEST_CASE("a minimal scenario loads with the documented defaults", "[loader]") {
  Scenario s = load_scenario(kData + "/good/minimal.yaml");
  CHECK(s.name == "minimal");
  CHECK(s.source_file == kData + "/good/minimal.yaml");
  CHECK_FALSE(s.resolved_yaml.empty());
  const RunSettings run_defaults;
  CHECK(s.run.days == run_defaults.days);
  CHECK(s.run.seed == run_defaults.seed);
  CHECK(s.run.threads == 0);
  REQUIRE(s.city.districts.size() == 1);
  CHECK(s.city.districts[0].name == "city");
  CHECK(s.city.districts[0].kind == DistrictKind::urban);
  REQUIRE(s.city.communities.size() == 1);
  CHECK(s.city.communities[0].district == "city");
  CHECK(s.city.communities[0].households == 3500);
  CHECK(s.city.communities[0].facility_indoor_m2 == -1.0);
  CHECK(s.population.household_size_shares.size() == 6);
  CHECK(s.population.male_share == 0.51);
  CHECK(s.population.placement == "uniform");
  REQUIRE(s.services.size() == 1);
  const Service& admin = s.services[0];
  CHECK(admin.name == "admin");
  CHECK(admin.kind == ServiceKind::episodic);
  CHECK(admin.rate_per_year == 2.0);
  CHECK(admin.service_minutes == 15.0);
  CHECK(admin.open_weekdays == std::array<bool, 7>{true, true, true, true, true, false, false});
  CHECK(admin.eligible.dependency == std::array<bool, 3>{true, true, true});
  CHECK(admin.visits_per_period == std::array<double, 3>{0.0, 1.0, 3.0});
  REQUIRE(s.staffing.roles.size() == 1);
  CHECK(s.staffing.roles[0].name == "community_worker");
  CHECK(s.staffing.roles[0].hours_per_week == 40.0);
  CHECK(s.staffing.roles[0].shift_start_minute == 510);
  CHECK(s.staffing.committee.small == 5);
  CHECK(s.facility.m2_per_100_households == 30.0);
  CHECK(s.sizing.mode == SizingMode::as_given);
  CHECK(s.travel.detour_factor == 1.3);
  CHECK(s.shocks.empty());
  CHECK(s.role_index("community_worker") == 0);
  CHECK(s.service_index("admin") == 0);
}

TEST_CASE("the full format reads every section", "[loader]") {
  Scenario s = load_scenario_text(R"(name: xian
run: {days: 30, seed: 7, replicates: 2, threads: 4, daily_output: false, coverage_target: 0.8}
city:
  density_households_per_km2: 9000
  districts: [{name: yanta, kind: urban}, {name: huyi, kind: county}]
  communities:
    - {name: A, district: yanta, households: 3500, x_m: 10, y_m: -5.5, is_new: true, facility_indoor_m2: 800}
    - {name: B, district: huyi, households: 900, area_km2: 0.4}
population:
  household_size_shares: [0.5, 0.5]
  age_shares: [{from: 0, to: 120, value: 1}]
  dependency: [{from: 60, to: 79, partial: 0.08, full: 0.02}, {from: 80, to: 120, partial: 0.2, full: 0.1}]
  placement: clustered
  dynamics: {enabled: true, births_per_1000: 7.5, mortality_per_year: [{from: 0, to: 120, value: 0.01}]}
services:
  home_care:
    kind: recurring
    eligible: {min_age: 60, dependency: [partial, full], chronic: either}
    role: care_worker
    visits_per_period: {partial: 2}
    where: home
    deadline_days: -1
    open_weekdays: [mon, wed, sat]
  clinic:
    kind: episodic
    role: care_worker
    rate_per_hour: 0.001
    service_time: exponential
    arrival_profile: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
  nursery:
    kind: enrolment
    role: care_worker
    want_share: {none: 0.1}
    clients_per_staff_by_age: [{from: 0, to: 0, value: 3}, {from: 1, to: 2, value: 5}]
    facility_use: nursery
staffing:
  roles:
    community_worker: {hours_per_week: 40}
    care_worker: {days_per_week: 6, shift_start_minute: 480}
  rules:
    community_worker: {rule: per_10k_residents, per_10k: 18, rounding: up}
    care_worker: {rule: per_client, client_service: home_care, clients_per_staff: 8}
facility:
  uses:
    offices: {share: 0.4}
    nursery: {share: 0.6, m2_per_place: 8}
sizing: {mode: restructure, preferred: 3000}
shocks:
  - {kind: demand_surge, service: clinic, factor: 1.5, start_day: 0, end_day: 10, communities: [B]}
  - {kind: vacancy, role: care_worker, share: 0.2, start_day: 5, end_day: 30}
)",
                                  "full.yaml", ".");
  CHECK(s.name == "xian");
  CHECK(s.run.seed == 7);
  CHECK_FALSE(s.run.daily_output);
  REQUIRE(s.city.districts.size() == 2);
  CHECK(s.city.districts[1].kind == DistrictKind::county);
  CHECK(s.city.communities[0].is_new);
  CHECK(s.city.communities[0].y_m == -5.5);
  CHECK(s.city.communities[1].area_km2 == 0.4);
  CHECK(s.population.placement == "clustered");
  CHECK(s.population.dynamics.enabled);
  REQUIRE(s.services.size() == 3);  // YAML map order kept
  CHECK(s.services[0].name == "home_care");
  CHECK(s.services[1].name == "clinic");
  CHECK(s.services[2].name == "nursery");
  CHECK(s.services[0].eligible.dependency == std::array<bool, 3>{false, true, true});
  CHECK(s.services[0].eligible.chronic == ChronicFilter::either);
  CHECK(s.services[0].visits_per_period == std::array<double, 3>{0.0, 2.0, 3.0});  // missing levels keep defaults
  CHECK(s.services[0].open_weekdays == std::array<bool, 7>{true, false, true, false, false, true, false});
  CHECK(s.services[0].deadline_days == -1);
  CHECK(s.services[1].rate_per_year == Approx(0.001 * 24 * 365));
  CHECK(s.services[1].arrival_profile[8] == 1.0);
  CHECK(s.services[2].clients_per_staff_by_age.size() == 2);
  REQUIRE(s.staffing.rules.size() == 2);
  CHECK(s.staffing.rules[0].role == "community_worker");
  CHECK(s.staffing.rules[0].rounding == Rounding::up);
  CHECK(s.staffing.rules[1].rule == StaffingRuleKind::per_client);
  CHECK(s.facility.uses[1].m2_per_place == 8);
  CHECK(s.sizing.mode == SizingMode::restructure);
  REQUIRE(s.shocks.size() == 2);
  CHECK(s.shocks[1].kind == ShockKind::vacancy);

  SECTION("and survives a round trip through scenario_to_yaml") {
    const std::string yaml = scenario_to_yaml(s);
    Scenario again = load_scenario_text(yaml, "resolved.yaml", "/nonexistent");
    CHECK(scenario_to_yaml(again) == yaml);
    CHECK(again.resolved_yaml == s.resolved_yaml);
    CHECK(again.name == s.name);
    CHECK(again.services[1].rate_per_year == s.services[1].rate_per_year);  // bit-identical double
    CHECK(again.services[0].open_weekdays == s.services[0].open_weekdays);
    CHECK(again.city.communities[0].x_m == s.city.communities[0].x_m);
    CHECK(again.shocks[0].communities == s.shocks[0].communities);
    CHECK(again.run.seed == s.run.seed);
  }
}

TEST_CASE("doubles round-trip exactly and odd names are quoted", "[loader]") {
  Scenario s = load_scenario_text(kMinimal, "m.yaml", ".",
                                  {"services.admin.rate_per_year=0.1", "run.coverage_target=0.30000000000000004",
                                   "city.communities.0.name='a: \"b\"'", "city.communities.0.x_m=1e-300",
                                   "run.seed=18446744073709551615"});
  Scenario again = load_scenario_text(scenario_to_yaml(s), "r.yaml", ".");
  CHECK(again.services[0].rate_per_year == 0.1);
  CHECK(again.run.coverage_target == 0.30000000000000004);
  CHECK(again.city.communities[0].name == "a: \"b\"");
  CHECK(again.city.communities[0].x_m == 1e-300);
  CHECK(again.run.seed == 18446744073709551615ull);
  CHECK(scenario_to_yaml(again) == s.resolved_yaml);
}

TEST_CASE("an empty section keeps its defaults, and null values of scalars are refused", "[loader]") {
  Scenario s = load_scenario_text(kMinimal + "travel:\nsizing:\n", "m.yaml", ".");
  CHECK(s.travel.detour_factor == 1.3);
  CHECK(s.sizing.upper == 5000);
  expect_error(over_minimal("run:\n  days:\n"), "run.days", 3, "got nothing");
  expect_error(over_minimal("services:\n  medical:\n"), "services.medical.rate_per_year", 3, "needs rate_per_year");
  expect_error(over_minimal("servics:\n  admin: {}\n"), "servics", 2, "did you mean 'services'?");
}

TEST_CASE("precedence: defaults < base < file < --set in order", "[loader]") {
  TempDir dir;
  dir.write("base.yaml", kMinimal + "run: {days: 100, seed: 5}\n");
  dir.write("mid.yaml", "extends: base.yaml\nname: mid\nrun: {days: 200}\n");
  const std::string top = dir.write("top.yaml", "extends: mid.yaml\nrun: {replicates: 3}\n"
                                                "services: {admin: {rate_per_year: 4}}\n");
  Scenario s = load_scenario(top);
  CHECK(s.name == "mid");                 // from the middle file
  CHECK(s.run.days == 200);               // mid over base
  CHECK(s.run.seed == 5);                 // base over default (maps merge)
  CHECK(s.run.replicates == 3);           // top file
  CHECK(s.run.threads == 0);              // default
  CHECK(s.services[0].rate_per_year == 4);
  CHECK(s.services[0].role == "community_worker");  // kept from base by merging

  Scenario o = load_scenario(top, {"run.days=10", "run.days=20", "services.admin.rate_per_year=2.5",
                                   "city.communities.0.households=4000", "staffing.roles.community_worker.hours_per_week=35",
                                   "population.household_size_shares=[1]", "staffing.rules.community_worker.per_10k=14"});
  CHECK(o.run.days == 20);  // the last --set wins
  CHECK(o.services[0].rate_per_year == 2.5);
  CHECK(o.city.communities[0].households == 4000);
  CHECK(o.staffing.roles[0].hours_per_week == 35);
  CHECK(o.population.household_size_shares == std::vector<double>{1.0});  // lists are replaced
  REQUIRE(o.staffing.rules.size() == 1);  // --set created a key absent in the files
  CHECK(o.staffing.rules[0].per_10k == 14);
  CHECK(o.run.seed == 5);
}

TEST_CASE("extends: an error in a base file points into the base file", "[loader]") {
  TempDir dir;
  dir.write("base.yaml", kMinimal + "run:\n  days: 0\n");
  const std::string top = dir.write("top.yaml", "extends: base.yaml\nname: top\n");
  try {
    load_scenario(top);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.pos().file == (dir.path() / "base.yaml").string());
    CHECK(e.pos().line == 18);
    CHECK(e.key() == "run.days");
  }
}

TEST_CASE("extends cycles and missing bases are refused", "[loader]") {
  TempDir dir;
  dir.write("a.yaml", "extends: b.yaml\n");
  dir.write("b.yaml", "name: b\nextends: c.yaml\n");
  dir.write("c.yaml", "extends: a.yaml\n");
  try {
    load_scenario((dir.path() / "a.yaml").string());
    FAIL("expected InputError");
  } catch (const InputError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(e.key() == "extends");
    CHECK(e.pos().line == 1);
    CHECK(e.pos().file == (dir.path() / "c.yaml").string());
    CHECK(what.find("cycle") != std::string::npos);
    CHECK(what.find("a.yaml -> ") != std::string::npos);
    CHECK(what.find("b.yaml -> ") != std::string::npos);
    CHECK(what.find("c.yaml -> ") != std::string::npos);
  }
  dir.write("self.yaml", "name: s\nextends: self.yaml\n");
  CHECK_THROWS_AS(load_scenario((dir.path() / "self.yaml").string()), InputError);
  expect_error("name: x\n\nextends: nowhere.yaml\n", "extends", 3, "cannot read base scenario file");
}

TEST_CASE("a missing scenario file names the file", "[loader]") {
  try {
    load_scenario("/nonexistent/scenario.yaml");
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.pos().file == "/nonexistent/scenario.yaml");
    CHECK(std::string(e.what()).find("/nonexistent/scenario.yaml") != std::string::npos);
  }
}

TEST_CASE("errors in --set overrides name --set and the key path", "[loader]") {
  auto expect_set_error = [](const std::string& spec, const std::string& key, const std::string& fragment) {
    try {
      load_scenario_text(kMinimal, "m.yaml", ".", {"run.days=10", spec});
      FAIL("expected InputError for " << spec);
    } catch (const InputError& e) {
      INFO(e.what());
      CHECK(e.pos().file == "--set '" + spec + "'");
      CHECK(e.key() == key);
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    }
  };
  expect_set_error("run.days", "run.days", "no '='");
  expect_set_error("run.dayz=3", "run.dayz", "did you mean 'days'?");
  expect_set_error("run.days=-3", "run.days", "[1, 36500]");
  expect_set_error("city.communities.5.households=10", "city.communities.5", "out of range");
  expect_set_error("city.communities.x.households=10", "city.communities.x", "not a list index");
  expect_set_error("run..days=3", "run..days", "non-empty keys");
  expect_set_error("run.days.x=3", "run.days.x", "single value");
  expect_set_error("run.days=[1, 2", "", "malformed YAML");
}

TEST_CASE("CSV community file: good rows load, bad rows name row and column", "[loader]") {
  TempDir dir;
  const std::string base = kMinimal.substr(0, kMinimal.find("city:")) +
                           kMinimal.substr(kMinimal.find("population:"));  // minimal without communities
  const std::string scenario = "city:\n  districts: [{name: yanta}, {name: huyi, kind: county}]\n"
                               "  communities_file: city.csv\n" + base;
  dir.write("city.csv", "name,district,households,x_m,is_new\n"
                        "A,yanta,3500,10.5,1\n"
                        "\"B, east\",huyi,800,,false\n");
  const std::string path = dir.write("s.yaml", scenario);
  Scenario s = load_scenario(path);
  REQUIRE(s.city.communities.size() == 2);
  CHECK(s.city.communities[0].name == "A");
  CHECK(s.city.communities[0].x_m == 10.5);
  CHECK(s.city.communities[0].is_new);
  CHECK(s.city.communities[1].name == "B, east");
  CHECK(s.city.communities[1].district == "huyi");
  CHECK(s.city.communities[1].households == 800);
  CHECK(s.city.communities_file == (dir.path() / "city.csv").lexically_normal().string());
  // Round trip: the resolved YAML names the (absolute) file and re-reads it.
  Scenario again = load_scenario_text(s.resolved_yaml, "resolved.yaml", "/");
  CHECK(again.city.communities.size() == 2);
  CHECK(again.resolved_yaml == s.resolved_yaml);

  auto expect_csv_error = [&](const std::string& csv, int line, const std::string& key, const std::string& fragment) {
    dir.write("city.csv", csv);
    try {
      load_scenario(path);
      FAIL("expected InputError");
    } catch (const InputError& e) {
      INFO(e.what());
      CHECK(e.pos().file == (dir.path() / "city.csv").lexically_normal().string());
      CHECK(e.pos().line == line);
      CHECK(e.key() == key);
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    }
  };
  expect_csv_error("name,district,households\nA,yanta,3500\nB,huyi,abc\n", 3, "city.communities_file[row 3].households",
                   "expected an integer");
  expect_csv_error("name,district,households\nA,yanta,0\n", 2, "city.communities_file[row 2].households", "[1, 1e+06]");
  expect_csv_error("name,district,households\nA,yanta,10\nA,huyi,20\n", 3, "city.communities.1.name", "duplicate");
  expect_csv_error("name,district,households\nA,nowhere,10\n", 2, "city.communities.0.district", "not a district");
  expect_csv_error("name,district,households\nA,yanta\n", 2, "city.communities_file[row 2]", "2 cells");
  expect_csv_error("name,district,housholds\n", 1, "city.communities_file", "did you mean 'households'?");
  expect_csv_error("name,district,households\n,yanta,10\n", 2, "city.communities_file[row 2].name", "missing value");
  // Column position of the bad cell.
  dir.write("city.csv", "name,district,households\nA,yanta,-4\n");
  try {
    load_scenario(path);
  } catch (const InputError& e) {
    CHECK(e.pos().column == 9);
  }
  // Both a list and a file.
  expect_error("city:\n  communities_file: x.csv\n  communities: [{name: A, households: 1}]\n" + base,
               "city.communities_file", 2, "not both");
  // Missing CSV file.
  expect_error("city:\n  communities_file: missing.csv\n" + base, "city.communities_file", 2, "cannot read");
}

// One file per kind of bad input, each naming its file:line:column, the key path and what is allowed
// (the same files go through `commsim run` in tests/reliability/cli_bad_input_test.cpp).
TEST_CASE("every file in tests/data/bad throws InputError with its expected text", "[loader]") {
  std::ifstream expected(kData + "/bad/EXPECTED.tsv");
  REQUIRE(expected);
  std::string line;
  size_t checked = 0;
  std::set<std::string> listed;
  while (std::getline(expected, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    const std::string file = line.substr(0, tab), fragment = line.substr(tab + 1);
    listed.insert(file);
    INFO(file);
    try {
      load_scenario(kData + "/bad/" + file);
      FAIL("no error for " << file);
    } catch (const InputError& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    } catch (const std::exception& e) {
      FAIL("not an InputError: " << e.what());
    }
    ++checked;
  }
  CHECK(checked >= 30);
  for (const auto& entry : fs::directory_iterator(kData + "/bad"))
    if (entry.path().extension() == ".yaml") CHECK(listed.count(entry.path().filename().string()) == 1);
}

TEST_CASE("docs/scenario-reference.md is generated from the schema", "[loader]") {
  const std::string generated = scenario_reference_markdown();
  const std::string committed = read_text(COMMSIM_SOURCE_DIR "/docs/scenario-reference.md");
  if (committed != generated) {
    // Regenerate with: COMMSIM_WRITE_DOCS=1 ./build/tests/commsim_tests "[loader]"
    if (std::getenv("COMMSIM_WRITE_DOCS")) std::ofstream(COMMSIM_SOURCE_DIR "/docs/scenario-reference.md") << generated;
  }
  CHECK(committed == generated);
  for (const char* key : {"`run.days`", "`city.communities[].households`", "`services.<name>.rate_per_hour`",
                          "`staffing.rules.<name>.per_10k`", "`facility.uses.<name>.share`", "`shocks[].kind`"})
    CHECK(generated.find(key) != std::string::npos);
}

TEST_CASE("the one YAML quoter reads back as the text it quoted", "[scenario][yaml]") {
  using scenario_detail::parse_yaml;
  using scenario_detail::yaml_quote;
  CHECK(yaml_quote("plain") == "\"plain\"");
  CHECK(yaml_quote("say \"hi\" \\ bye") == "\"say \\\"hi\\\" \\\\ bye\"");
  for (const std::string& text : {std::string("plain"), std::string("a: b # not a comment"), std::string("quote \" and \\"),
                                 std::string("line\nbreak\ttab\rreturn"), std::string("bell \x01 esc \x1b"),
                                 std::string("\xe8\xa5\xbf\xe5\xae\x89 Xi'an"), std::string("- [x, {y: z}]"), std::string("")}) {
    const scenario_detail::Node root = parse_yaml("key: " + yaml_quote(text) + "\n", "quoted.yaml", ".");
    const scenario_detail::Node* value = root.find("key");
    REQUIRE(value);
    INFO("quoted as " << yaml_quote(text));
    CHECK(value->text == text);
    CHECK(value->quoted);
  }
}
