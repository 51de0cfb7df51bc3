// Prepared inputs (issue 22, sim/engine/prepared.hpp): a scenario's input files are read once and
// shared by its replicates and by study variants; results are the same as when each replicate
// reads them; input errors come before any replicate runs. Multi-year runs: pay is summed year by
// year at that year's staff, and the community facts describe the start of the run.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "sim/core/error.hpp"
#include "sim/demand/demand.hpp"
#include "sim/engine/city.hpp"
#include "sim/engine/engine.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/metrics/summary.hpp"
#include "tests/support.hpp"

using namespace commsim;
using commsim::test::small_city;

TEST_CASE("prepared inputs give the same results as inputs read per replicate", "[engine][prepared]") {
  const Scenario sc = small_city({"run.days=7", "run.replicates=2"});
  const std::shared_ptr<const PreparedInputs> prepared = prepare_inputs(sc);
  REQUIRE(prepared->census);
  REQUIRE(prepared->specs.size() == 12);
  RunOptions shared;
  shared.prepared = prepared;
  for (int r = 0; r < 2; ++r) {
    const RunResult own = run_replicate(sc, r);           // reads the files itself
    const RunResult with = run_replicate(sc, r, shared);  // shares the prepared inputs
    CHECK(compare_runs(own, with).empty());
    CHECK(test::hash_run(own) == test::hash_run(with));
  }
  // run_scenario prepares once for all replicates: the same runs.
  const std::vector<RunResult> all = run_scenario(sc);
  REQUIRE(all.size() == 2);
  CHECK(test::hash_run(all[1]) == test::hash_run(run_replicate(sc, 1)));
  // Variants that read the same files share them (a study's variants, prepare_inputs' `like`).
  const Scenario other = small_city({"run.days=7", "staffing.rules.community_worker.per_10k=14"});
  const auto like = prepare_inputs(other, prepared.get());
  CHECK(like->census_files == prepared->census_files);
  const Scenario elsewhere = small_city({"run.days=7", "city.census.units=[\"610102\", \"610103\"]"});
  CHECK(prepare_inputs(elsewhere, prepared.get())->census_files != prepared->census_files);
}

TEST_CASE("an error in an input file is reported before the first replicate runs", "[engine][prepared]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("commsim-prepared-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {  // the districts file gives 610113 (雁塔区) a class that does not exist
    std::ofstream f(dir / "districts.csv");
    f << "code,name,class,built_up_area_km2\n610102,新城区,old_core,30.1\n610113,雁塔区,suburb,151.4\n";
  }
  const Scenario sc = small_city({"run.days=7", "city.census.districts_file=" + (dir / "districts.csv").string()});
  int progress_calls = 0;
  RunOptions options;
  options.progress = [&](double) { ++progress_calls; };
  try {
    (void)run_scenario(sc, options);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("districts.csv"));
    CHECK_THAT(e.message(), Catch::Contains("suburb"));
    CHECK(e.pos().line == 3);
  }
  CHECK(progress_calls == 0);  // no community of any replicate ran
  CHECK_THROWS_AS(prepare_inputs(sc), InputError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("multi-year runs: pay is each year's staff, community facts are the start of the run", "[engine][prepared][years]") {
  // Two years with population dynamics (ageing, onset of dependency): care workers follow their
  // clients (per_client rule), so staff change between the years.
  const Scenario sc = small_city({"run.days=730", "run.daily_output=false"});
  REQUIRE(sc.population.dynamics.enabled);
  const RunResult run = run_replicate(sc, 0);
  // The city as the engine has it in each year: built, then stepped one year and re-staffed.
  const auto services = compile_services(sc, 0);
  std::vector<Community> city = build_city(sc, 0, services, nullptr);
  REQUIRE(city.size() == run.communities.size());
  const PopulationModel model(sc.population);
  std::vector<std::vector<int>> first(city.size()), second(city.size());
  std::vector<int> committee(city.size());
  Residents scratch;
  for (size_t c = 0; c < city.size(); ++c) {
    first[c] = city[c].policy.staff;
    committee[c] = city[c].policy.part_time_committee;
    step_year(model, sc.population, sc.run.seed, 0, 1, city[c].facility_x_m, city[c].facility_y_m,
              city[c].info.area_km2, city[c].residents, scratch, city[c].district_households.get());
    apply_policies(sc, services, city[c]);
    second[c] = city[c].policy.staff;
  }
  const int cw = sc.role_index("community_worker"), care = sc.role_index("care_worker");
  bool changed = false;
  for (size_t c = 0; c < city.size(); ++c) changed = changed || first[c] != second[c];
  REQUIRE(changed);  // the test needs staff that change between the years
  double expected_total = 0, first_year_twice = 0;
  for (size_t c = 0; c < city.size(); ++c) {
    const CommunityInfo& info = run.communities[c];
    INFO("community " << info.name);
    CHECK(info.staff == first[c]);  // facts: the start of the run
    double pay = 0, start_pay = 0;
    for (size_t r = 0; r < sc.staffing.roles.size(); ++r) {
      const int extra = static_cast<int>(r) == cw ? committee[c] : 0;
      pay += pay_yuan(sc.staffing.roles[r], first[c][r] + extra, 365) + pay_yuan(sc.staffing.roles[r], second[c][r] + extra, 365);
      start_pay += 2 * pay_yuan(sc.staffing.roles[r], first[c][r] + extra, 365);
    }
    CHECK(info.pay_city_yuan + info.pay_district_yuan == Approx(pay).epsilon(1e-12));
    expected_total += pay;
    first_year_twice += start_pay;
  }
  CHECK(expected_total != Approx(first_year_twice));
  // The citywide role pay is the communities' pay of that role, year by year.
  double care_pay = 0;
  for (size_t c = 0; c < city.size(); ++c)
    care_pay += pay_yuan(sc.staffing.roles[static_cast<size_t>(care)], first[c][static_cast<size_t>(care)], 365) +
                pay_yuan(sc.staffing.roles[static_cast<size_t>(care)], second[c][static_cast<size_t>(care)], 365);
  CHECK(run.citywide_roles[static_cast<size_t>(care)].pay_yuan == Approx(care_pay).epsilon(1e-12));
  // Residents and households of the run are those at its start.
  int64_t residents = 0;
  for (const auto& info : run.communities) residents += info.residents;
  CHECK(run.residents == residents);
  CHECK(static_cast<double>(run.residents) == run.years[0].residents);
}
