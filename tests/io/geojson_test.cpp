// `commsim run --geojson FILE` (issue 26): one Point feature per community with its residents,
// staff per role, and coverage and unmet hours per service; a GIS reader (GDAL's ogrinfo, when the
// machine has it) opens the file and counts the features.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "sim/engine/engine.hpp"
#include "sim/io/geojson.hpp"
#include "tests/reliability/process.hpp"
#include "tests/skip.hpp"
#include "tests/support.hpp"

using namespace commsim;

TEST_CASE("communities as GeoJSON: one point feature per community with its staff and services", "[io][geojson]") {
  const Scenario sc = test::small_city({"run.days=14", "run.replicates=2"});
  const std::vector<RunResult> runs = {run_replicate(sc, 0), run_replicate(sc, 1)};
  const auto j = nlohmann::json::parse(communities_geojson(runs));
  CHECK(j.at("type") == "FeatureCollection");
  CHECK(j.at("replicates") == 2);
  const auto& features = j.at("features");
  REQUIRE(features.size() == runs[0].communities.size());
  const size_t n = runs[0].service_names.size();
  for (size_t c = 0; c < features.size(); ++c) {
    const CommunityInfo& info = runs[0].communities[c];
    const auto& f = features[c];
    CHECK(f.at("geometry").at("type") == "Point");
    CHECK(f.at("geometry").at("coordinates")[0].get<double>() == Approx(info.x_m));
    CHECK(f.at("geometry").at("coordinates")[1].get<double>() == Approx(info.y_m));
    const auto& p = f.at("properties");
    CHECK(p.at("name") == info.name);
    CHECK(p.at("residents").get<int64_t>() == info.residents);
    CHECK(p.at("staff").size() == runs[0].role_names.size());
    CHECK(p.at("staff").at("community_worker").get<int>() ==
          info.staff[static_cast<size_t>(sc.role_index("community_worker"))]);
    // Coverage pools both replicates: served in time / demand.
    const size_t s = static_cast<size_t>(sc.service_index("household_visits"));
    const double demand = static_cast<double>(runs[0].service_totals[c * n + s].demand + runs[1].service_totals[c * n + s].demand);
    const double in_time = static_cast<double>(runs[0].service_totals[c * n + s].served_in_time +
                                               runs[1].service_totals[c * n + s].served_in_time);
    if (demand > 0) CHECK(p.at("coverage").at("household_visits").get<double>() == Approx(in_time / demand));
    CHECK(p.at("unmet_hours_per_year").size() == n);
  }
}

TEST_CASE("commsim run --geojson writes a FeatureCollection a GIS reader opens", "[io][geojson][cli]") {
  const auto dir = std::filesystem::temp_directory_path() / ("commsim-geojson-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "communities.geojson").string();
  const test::Outcome o = test::run_shell("exec '" + test::commsim_binary() +
                                              "' run tests/data/good/small-city.yaml --set run.days=7 --quiet --geojson '" +
                                              file + "'",
                                          test::source_dir(), dir);
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(test::read_text(file));
  const size_t features = j.at("features").size();
  CHECK(features > 0);
  const test::Outcome dash = test::run_shell("exec '" + test::commsim_binary() +
                                                 "' run tests/data/good/small-city.yaml --set run.days=7 --geojson -",
                                             test::source_dir(), dir);
  CHECK(dash.exit_code == 2);
  CHECK_THAT(dash.err, Catch::Contains("--geojson"));
  if (std::system("command -v ogrinfo >/dev/null 2>&1") != 0) {
    std::filesystem::remove_all(dir);
    COMMSIM_SKIP("GDAL's ogrinfo is not installed (Debian gdal-bin)");
  }
  const test::Outcome gis = test::run_shell("exec ogrinfo -ro -so -al '" + file + "'", test::source_dir(), dir);
  CHECK(gis.exit_code == 0);
  CHECK_THAT(gis.out, Catch::Contains("Geometry: Point") && Catch::Contains("Feature Count: " + std::to_string(features)));
  std::filesystem::remove_all(dir);
}
