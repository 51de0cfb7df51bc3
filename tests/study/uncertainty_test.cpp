// Uncertainty bands (issue 17 item 4, docs/sensitivity.md "Uncertainty bands"): the Latin
// hypercube, what is sampled (no levers, no fixed parameters, --set keys held), the bands, the
// /uncertainty tables, `commsim run --uncertainty N`'s bad values, determinism and the summary JSON
// contract. Its MPI identity and resume: tests/study/curve_mpi_identity.sh.
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/scenario/load.hpp"
#include "sim/uncertainty/uncertainty.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using namespace commsim;
using commsim::test::TempDir;

namespace {

const std::string kCity = commsim::test::source_path("tests/data/calibration-city.yaml");
const std::string kTiny = " --set city.generator.communities=3 --set run.days=14 --set run.daily_output=false";

int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("latin hypercube: one point per stratum in every dimension, deterministic by seed", "[uncertainty]") {
  const int n = 37, k = 5;
  const auto a = latin_hypercube(n, k, 11);
  REQUIRE(a.size() == static_cast<size_t>(n));
  for (int d = 0; d < k; ++d) {
    std::vector<int> hits(n, 0);
    for (const auto& p : a) {
      REQUIRE(p.size() == static_cast<size_t>(k));
      REQUIRE(p[static_cast<size_t>(d)] >= 0.0);
      REQUIRE(p[static_cast<size_t>(d)] < 1.0);
      ++hits[static_cast<size_t>(std::floor(p[static_cast<size_t>(d)] * n))];
    }
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  }
  CHECK(latin_hypercube(n, k, 11) == a);
  CHECK(latin_hypercube(n, k, 12) != a);
  // The dimensions are not the same permutation.
  std::vector<double> d0, d1;
  for (const auto& p : a) {
    d0.push_back(std::floor(p[0] * n));
    d1.push_back(std::floor(p[1] * n));
  }
  CHECK(d0 != d1);
}

TEST_CASE("uncertainty bands: point, median and the 5th-95th percentiles", "[uncertainty]") {
  std::vector<SensitivityOutcome> outcomes = {{"coverage", "medical", "share"}, {"cost_total_yuan", "", "yuan"}};
  std::vector<std::vector<double>> values = {{0.5, 100}};  // the point run
  for (int i = 1; i <= 21; ++i) values.push_back({static_cast<double>(i), 1000.0 - i});  // 21 samples
  const UncertaintySummary s = summarize_uncertainty(outcomes, values);
  CHECK(s.samples == 21);
  REQUIRE(s.outcomes.size() == 2);
  CHECK(s.outcomes[0].point == 0.5);
  CHECK(s.outcomes[0].median == 11);
  CHECK(s.outcomes[0].p05 == Approx(2.0));   // 0.05 x 20 = 1 -> the second order statistic
  CHECK(s.outcomes[0].p95 == Approx(20.0));
  CHECK(s.outcomes[1].name() == "cost_total_yuan");
  CHECK(s.outcomes[1].median == 989);
  CHECK(s.outcomes[1].p05 == Approx(980.0));
  CHECK(s.outcomes[1].p95 == Approx(998.0));
  CHECK(sample_quantile({3, 1, 2}, 0.25) == Approx(1.5));
  CHECK(std::isnan(sample_quantile({}, 0.5)));
}

TEST_CASE("uncertainty: samples the registry's non-lever parameters, holds --set keys, refuses bad N", "[uncertainty]") {
  const Scenario sc = load_scenario(kCity);
  const std::vector<Parameter> all = uncertainty_parameters(sc, {});
  REQUIRE(all.size() >= 10);
  for (const Parameter& p : all) {
    INFO(p.key);
    CHECK(!p.lever);
    CHECK(p.sampled());
  }
  // A staffing ratio is a lever: never sampled.
  CHECK(std::none_of(all.begin(), all.end(), [](const Parameter& p) { return p.key == "staffing.rules.community_worker.per_10k"; }));
  const std::string held = all.front().key;
  const std::vector<Parameter> fewer = uncertainty_parameters(sc, {held});
  CHECK(fewer.size() == all.size() - 1);
  CHECK(std::none_of(fewer.begin(), fewer.end(), [&](const Parameter& p) { return p.key == held; }));

  UncertaintyRequest rq;
  rq.scenario = kCity;
  for (int bad : {-1, 0, 1, kMaxUncertaintySamples + 1}) {
    rq.samples = bad;
    CHECK_THROWS_AS(plan_uncertainty(rq), InputError);
  }
  rq.samples = 3;
  rq.overrides = {"city.generator.communities=3", "run.days=14"};
  const UncertaintyPlan plan = plan_uncertainty(rq);
  REQUIRE(plan.study.scenarios.size() == 4);  // the point run and 3 samples
  CHECK(plan.study.study.variants.front().name == "point");
  CHECK(plan.study.base_variant == 0);
  REQUIRE(plan.values.size() == 3);
  for (const auto& v : plan.values)
    for (size_t i = 0; i < v.size(); ++i) {
      CHECK(v[i] >= plan.parameters[i].low);
      CHECK(v[i] <= plan.parameters[i].high);
    }
  // Every sample runs on the scenario's seed (common random numbers with the point run).
  for (const auto& s : plan.study.scenarios) CHECK(s.run.seed == plan.study.base.run.seed);
}

// About a minute under ASan: the release suite runs it ([slow]); the sanitizer pass covers the command by
// "uncertainty: samples the registry's non-lever parameters ...".
TEST_CASE("commsim run --uncertainty: bad values exit 2, the summary JSON contract, same seed same bands",
          "[uncertainty][cli][slow]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY, out = dir.file("u.h5"), err = dir.file("err.txt");
  for (const char* bad : {"1", "0", "-3", "x", "2.5", "100001"}) {
    INFO(bad);
    CHECK(shell("'" + bin + "' run '" + kCity + "' --uncertainty " + bad + kTiny + " -o '" + out + "' > /dev/null 2> '" +
                err + "'") == 2);
    const std::string text = commsim::test::read_text(err);
    INFO(text);
    CHECK(text.find("--uncertainty") != std::string::npos);
    CHECK(!fs::exists(out));
    CHECK(!fs::exists(out + ".partial"));
  }
  CHECK(shell("'" + bin + "' run '" + kCity + "' --resume" + kTiny + " > /dev/null 2> '" + err + "'") == 2);
  CHECK(commsim::test::read_text(err).find("needs --uncertainty") != std::string::npos);

  const std::string json1 = dir.file("a.json"), json2 = dir.file("b.json"), json3 = dir.file("c.json");
  REQUIRE(shell("'" + bin + "' run '" + kCity + "' --uncertainty 4 --threads 2 --quiet" + kTiny + " -o '" + out +
                "' --summary-json '" + json1 + "'") == 0);
  CHECK(is_complete_output(out));
  REQUIRE(shell("'" + bin + "' run '" + kCity + "' --uncertainty 4 --threads 1 --quiet" + kTiny + " --summary-json '" +
                json2 + "'") == 0);
  const auto j = nlohmann::json::parse(commsim::test::read_text(json1));
  CHECK(commsim::test::read_text(json1) == commsim::test::read_text(json2));  // any thread count, with or without -o
  // The point run's summary as without --uncertainty, plus the bands.
  REQUIRE(shell("'" + bin + "' run '" + kCity + "' --quiet" + kTiny + " --summary-json '" + json3 + "'") == 0);
  const auto plain = nlohmann::json::parse(commsim::test::read_text(json3));
  CHECK(j["services"] == plain["services"]);
  CHECK(j["cost"] == plain["cost"]);
  const auto& u = j.at("uncertainty");
  CHECK(u.at("samples") == 4);
  CHECK(u.at("band") == nlohmann::json::array({0.05, 0.95}));
  const size_t services = plain["services"].size();
  REQUIRE(u.at("outcomes").size() == 3 * services + 1);
  size_t per_service = 0;
  for (const auto& o : u.at("outcomes")) {
    INFO(o.dump());
    const std::string name = o.at("name");
    CHECK((name == "coverage" || name == "unmet_hours" || name == "mean_wait_working_min" || name == "cost_total_yuan"));
    if (o.at("service").is_null()) {
      CHECK(name == "cost_total_yuan");
    } else {
      ++per_service;
      CHECK(plain["services"].contains(o.at("service").get<std::string>()));
    }
    for (const char* field : {"point", "median", "p05", "p95"}) REQUIRE(o.at(field).is_number());
    CHECK(o.at("p05").get<double>() <= o.at("median").get<double>());
    CHECK(o.at("median").get<double>() <= o.at("p95").get<double>());
  }
  CHECK(per_service == 3 * services);
  // The point value is the plain run's.
  for (const auto& o : u.at("outcomes"))
    if (o.at("name") == "coverage") CHECK(o.at("point") == plain["services"][o.at("service").get<std::string>()]["coverage"]);
  // The file's /uncertainty tables hold the same numbers.
  const std::vector<double> median = read_double_dataset(out, "/uncertainty/outcomes/median");
  REQUIRE(median.size() == u.at("outcomes").size());
  for (size_t i = 0; i < median.size(); ++i) CHECK(median[i] == u.at("outcomes")[i].at("median").get<double>());
  CHECK(read_string_dataset(out, "/uncertainty/parameters/key").size() == u.at("parameters").size());
  // Another seed, other samples.
  REQUIRE(shell("'" + bin + "' run '" + kCity + "' --uncertainty 4 --seed 9 --quiet" + kTiny + " --summary-json '" +
                json2 + "'") == 0);
  CHECK(commsim::test::read_text(json1) != commsim::test::read_text(json2));
}
