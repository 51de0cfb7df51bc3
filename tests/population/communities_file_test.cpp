// A planner's communities on the census city (issue 26): a communities file with residents and
// staff columns gives its communities, residents and staff in post; every bad row is an InputError
// at its file:line; and `commsim communities` writes any city's communities in that format, which
// runs back to the same communities, households and residents.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "sim/engine/city.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/communities_csv.hpp"
#include "sim/io/geojson.hpp"
#include "sim/scenario/lonlat.hpp"
#include "sim/io/summary_json.hpp"
#include "tests/reliability/process.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {
const std::vector<std::string> kShort = {"run.days=1", "population.dynamics.enabled=false"};

std::vector<std::string> with(std::vector<std::string> overrides, const std::string& more) {
  overrides.push_back(more);
  return overrides;
}

Scenario baseline(const std::vector<std::string>& overrides) {
  return load_scenario(test::source_path("scenarios/xian-baseline.yaml"), overrides);
}

const char* const kFiveRows =
    "name,district,households,residents,area_km2,lon,lat,facility_indoor_m2,is_new,staff.community_worker,added.community_worker\n"
    "幸福里,新城区,2400,7000,0.4,108.96,34.27,700,0,14,2\n"
    "\"Beilin, south\",碑林区,3100,9000,,108.94,34.25,,0,17,\n"
    "Lianhu-1,莲湖区,1800,5200,0.3,108.92,34.27,600,1,12,0\n"
    "Weiyang-1,未央区,4200,12000,,108.94,34.33,,0,22,3\n"
    "Baqiao-1,灞桥区,2900,8400,0.6,109.06,34.27,,0,16,\n";
}  // namespace

TEST_CASE("a 5-row communities file on the census city: its communities, residents and staff in post",
          "[population][communities_file]") {
  test::TempDir dir("communities");
  const std::string file = dir.write("five.csv", kFiveRows);
  const Scenario sc = baseline(with(kShort, "city.communities_file=\"" + file + "\""));
  REQUIRE(sc.city.communities.size() == 5);
  const RunResult run = run_replicate(sc, 0);
  REQUIRE(run.communities.size() == 5);
  const size_t cw = static_cast<size_t>(sc.role_index("community_worker"));
  double residents = 0;
  int workers = 0;
  for (const CommunityInfo& c : run.communities) {
    residents += static_cast<double>(c.residents);
    workers += c.staff[cw] + c.committee_total;  // the committee counts in the norm (counts_in_norm)
  }
  CHECK(run.communities[1].name == "Beilin, south");
  CHECK(run.communities[0].households == 2400);
  CHECK(std::fabs(residents / 41600.0 - 1) <= 0.01);
  CHECK(workers == 14 + 17 + 12 + 22 + 16);
  const auto j = nlohmann::json::parse(summary_json(sc, {run}));
  CHECK(j.at("roles").at("community_worker").at("staff").get<double>() == 81);
  CHECK(run.communities[0].facility_indoor_m2 == 700);
  // --geojson: the file's lon/lat come back as the points' longitude and latitude.
  const auto geo = nlohmann::json::parse(communities_geojson({run}, communities_file_origin(sc.city.communities_file)));
  REQUIRE(geo.at("features").size() == 5);
  CHECK(geo.at("features")[0].at("geometry").at("coordinates")[0].get<double>() == Approx(108.96).margin(1e-9));
  CHECK(geo.at("features")[3].at("geometry").at("coordinates")[1].get<double>() == Approx(34.33).margin(1e-9));
  CHECK_THAT(geo.at("coordinate_system").get<std::string>(), Catch::Contains("longitude and latitude"));
}

TEST_CASE("bad rows of a communities file: file:line and the key, exit 2", "[population][communities_file][cli]") {
  test::TempDir dir("communities-bad");
  const auto error_of = [&](const std::string& text) {
    const std::string file = dir.write("bad.csv", text);
    try {
      prepare_inputs(baseline(with(kShort, "city.communities_file=\"" + file + "\"")));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string header = "name,district,households,residents,staff.community_worker\n";
  CHECK_THAT(error_of(header + "a,新城区,2000,,\nb,锦江区,2000,,\n"),
             Catch::Contains("bad.csv:3") && Catch::Contains("district") && Catch::Contains("锦江区"));
  CHECK_THAT(error_of(header + "a,新城区,2000,,\na,碑林区,2000,,\n"),
             Catch::Contains("bad.csv:3") && Catch::Contains("duplicate community name 'a'"));
  CHECK_THAT(error_of(header + "a,新城区,-5,,\n"), Catch::Contains("bad.csv:2") && Catch::Contains("households"));
  CHECK_THAT(error_of(header + "a,新城区,,,\n"), Catch::Contains("bad.csv:2") && Catch::Contains("households"));
  CHECK_THAT(error_of(header + "a,新城区,2000,-1,\n"), Catch::Contains("bad.csv:2") && Catch::Contains("residents"));
  CHECK_THAT(error_of(header + "a,新城区,2000,,-3\n"), Catch::Contains("bad.csv:2") && Catch::Contains("staff.community_worker"));
  CHECK_THAT(error_of("name,district,households,staff.nurse\na,新城区,2000,3\n"),
             Catch::Contains("bad.csv:2") && Catch::Contains("nurse"));
  // Through the program: exit 2.
  const std::string file = dir.write("bad.csv", header + "a,新城区,2000,,\nb,锦江区,2000,,\n");
  const test::Outcome o = test::run_shell("exec '" + test::commsim_binary() + "' validate scenarios/xian-baseline.yaml --set "
                                              "city.communities_file='" + file + "'",
                                          test::source_dir(), dir.path());
  CHECK(o.exit_code == 2);
  CHECK_THAT(o.err, Catch::Contains("bad.csv:3"));
}

TEST_CASE("commsim communities writes a city's communities and the file runs back to the same city",
          "[population][communities_file][cli]") {
  test::TempDir dir("communities-out");
  const std::vector<std::string> sample = with(kShort, "city.generator.communities=15");
  const Scenario generated = baseline(sample);
  const RunResult a = run_replicate(generated, 0);
  const std::string file = dir.file("x.csv");
  const test::Outcome o = test::run_shell("exec '" + test::commsim_binary() +
                                              "' communities scenarios/xian-baseline.yaml --set city.generator.communities=15 -o '" +
                                              file + "'",
                                          test::source_dir(), dir.path());
  REQUIRE(o.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(file + ".partial"));
  const Scenario again = baseline(with(kShort, "city.communities_file=\"" + file + "\""));
  const RunResult b = run_replicate(again, 0);
  REQUIRE(a.communities.size() == b.communities.size());
  for (size_t i = 0; i < a.communities.size(); ++i) {
    INFO(a.communities[i].name);
    CHECK(a.communities[i].name == b.communities[i].name);
    CHECK(a.communities[i].district == b.communities[i].district);
    CHECK(a.communities[i].households == b.communities[i].households);
    CHECK(a.communities[i].residents == b.communities[i].residents);
  }
  CHECK(communities_csv(generated.city.communities).rfind("name,district,households", 0) == 0);
}
