// The one JSON writer (sim/core/json.hpp): numbers, null for non-finite values, invalid UTF-8
// replaced, one line or indented; and the JSON of `commsim norms --json` and `commsim
// validate-queue --json`, built with it: one document, the documented keys in their order.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/core/json.hpp"
#include "tests/reliability/process.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

std::vector<std::string> keys_of(const nlohmann::ordered_json& j) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  return keys;
}

nlohmann::ordered_json run_json(const std::string& args) {
  test::TempDir dir("json");
  const test::Outcome o = test::run_shell("exec '" + test::commsim_binary() + "' " + args, dir.path(), dir.path());
  INFO(o.err);
  REQUIRE(o.exited);
  REQUIRE(o.exit_code == 0);
  REQUIRE(!o.out.empty());
  CHECK(o.out.back() == '\n');
  CHECK(o.out.find('\n') == o.out.size() - 1);  // one line
  return nlohmann::ordered_json::parse(o.out);
}

}  // namespace

TEST_CASE("the JSON writer: null for non-finite numbers, invalid UTF-8 replaced, a newline at the end", "[io][json]") {
  CHECK(json_value(2.5) == 2.5);
  CHECK(json_value(std::numeric_limits<double>::quiet_NaN()).is_null());
  CHECK(json_value(std::numeric_limits<double>::infinity()).is_null());
  Json j;
  j["name"] = "caf\xe9";
  j["x"] = json_value(0.1);
  const std::string one_line = json_text(j, -1);
  CHECK(one_line == "{\"name\":\"caf\xef\xbf\xbd\",\"x\":0.1}\n");
  CHECK(json_text(j) == "{\n  \"name\": \"caf\xef\xbf\xbd\",\n  \"x\": 0.1\n}\n");
  CHECK(nlohmann::json::parse(one_line)["x"].get<double>() == 0.1);  // doubles round-trip
}

TEST_CASE("commsim norms --json and validate-queue --json: one JSON document with the documented keys", "[io][json][cli]") {
  const auto norms = run_json("norms --households 3000 --json");
  CHECK(keys_of(norms) == std::vector<std::string>{"households", "residents", "size_band", "residents_committee",
                                                   "party_committee", "cross_appointed", "committee_people",
                                                   "community_workers", "facility_area_m2", "outdoor_area_m2",
                                                   "activity_area_m2", "operating_funds_city_yuan",
                                                   "operating_funds_district_yuan"});
  CHECK(norms["households"] == 3000);
  CHECK(norms["size_band"] == "normal");
  CHECK(norms["facility_area_m2"].get<double>() == 900.0);  // N2.1: 30 m2 per 100 households

  const auto queue = run_json("validate-queue --arrivals-per-hour 4 --service-minutes 12 --servers 1 --days 5 "
                              "--replicates 2 --threads 1 --json");
  CHECK(keys_of(queue) == std::vector<std::string>{
                              "arrivals_per_hour", "service_minutes", "servers", "days", "replicates", "seed",
                              "mean_wait_min", "mean_wait_min_ci95", "p_wait", "p_wait_ci95", "utilisation",
                              "utilisation_ci95", "erlang_c_mean_wait_min", "erlang_c_p_wait", "erlang_c_utilisation",
                              "littles_law_L", "littles_law_lambda_W", "threads", "wall_seconds", "cpu_seconds"});
  CHECK(queue["servers"] == 1);
  CHECK(queue["erlang_c_utilisation"].get<double>() == Approx(0.8));
  CHECK(queue["mean_wait_min"].is_number());
}
