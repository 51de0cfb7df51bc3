// Norm sets (issue 26): the shipped files under scenarios/norms/ load, every figure has a source in
// the bibliography; a set becomes the scenario's rules and the figures compliance is judged
// against; a bad norm file is an InputError at its line with the key.
#include <catch2/catch.hpp>

#include <filesystem>

#include "sim/calibration/sources.hpp"
#include "sim/engine/city.hpp"
#include "sim/norms/norms.hpp"
#include "sim/scenario/norm_set.hpp"
#include "tests/reliability/process.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {
const std::vector<std::string> kShipped = {"national-2021", "xian-2023", "changji-2023", "guangdong-2022",
                                           "jiangsu-2022", "hubei-2022", "taiyuan-2020"};
std::string norm_file(const std::string& name) { return test::source_path("scenarios/norms/" + name + ".yaml"); }

// Community workers a community counts in the norm: full-time staff and the committee serving as them.
double workers_per_10k(const std::vector<Community>& city, const Scenario& sc) {
  const auto cw = static_cast<size_t>(sc.role_index("community_worker"));
  double workers = 0, residents = 0;
  for (const Community& c : city) {
    workers += c.policy.staff[cw] + c.policy.part_time_committee;
    residents += static_cast<double>(c.policy.residents);
  }
  return 1e4 * workers / residents;
}
}  // namespace

TEST_CASE("the shipped norm sets load and every figure names its source", "[norms][norm_set]") {
  for (const std::string& name : kShipped) {
    INFO(name);
    const NormSet set = read_norm_set(norm_file(name));
    CHECK(set.name == name);
    const SourcePos at{norm_file(name), 0, 0};
    CHECK_NOTHROW(check_source(set.source, at, "source"));
    CHECK(set.community_workers.given);
    CHECK(set.facility.given == (name != "taiyuan-2020"));  // Taiyuan's measures set no facility figure
    CHECK_NOTHROW(check_source(set.community_workers.source, at, "community_workers.source"));
    if (set.facility.given) CHECK_NOTHROW(check_source(set.facility.source, at, "facility.source"));
    if (set.committee.given) CHECK_NOTHROW(check_source(set.committee.source, at, "committee.source"));
    if (set.funding.given) CHECK_NOTHROW(check_source(set.funding.source, at, "funding.source"));
    if (set.size.given) CHECK_NOTHROW(check_source(set.size.source, at, "size.source"));
  }
  CHECK(read_norm_set(norm_file("changji-2023")).community_workers.per_10k == 25);
  CHECK(read_norm_set(norm_file("guangdong-2022")).facility.m2_per_100_households == 32);
}

TEST_CASE("xian-2023 is the figures compliance uses without a norm set", "[norms][norm_set]") {
  const NormSet file = read_norm_set(norm_file("xian-2023"));
  const NormSet none;
  for (const int64_t households : {600, 1500, 3000, 4500, 7000}) {
    const NormFacts facts{households, households * 26 / 10, false, 800, 1000, 0.6, 9, 12};
    const NormCompliance a = norm_compliance(facts, file), b = norm_compliance(facts, none);
    CHECK(a.required_community_workers == b.required_community_workers);
    CHECK(a.required_indoor_m2 == b.required_indoor_m2);
    CHECK(a.size_ok == b.size_ok);
    CHECK(a.workers_ok == b.workers_ok);
  }
}

TEST_CASE("a norm set's requirements: Changji 25 per 10,000, Taiyuan's schedule with the committee on top",
          "[norms][norm_set]") {
  const Scenario sc;
  const NormSet changji = read_norm_set(norm_file("changji-2023"));
  const NormRequirement c = norm_set_requirement(3500, 10000, false, DistrictKind::urban, changji, sc);
  CHECK(c.community_workers == 25);
  const NormSet taiyuan = read_norm_set(norm_file("taiyuan-2020"));
  // 6 professional workers from 4,000 households, + 2 for 1,000 above 5,000; committee on top.
  const NormRequirement t = norm_set_requirement(6000, 0, false, DistrictKind::urban, taiyuan, sc);
  CHECK(t.community_workers == 8 + t.committees.total_people);
  NormFacts facts{6000, 16000, false, 2000, 1000, 0.6, t.committees.total_people, 8 + t.committees.total_people};
  CHECK(norm_compliance(facts, taiyuan).workers_ok);
  facts.community_workers -= 1;
  CHECK_FALSE(norm_compliance(facts, taiyuan).workers_ok);
}

TEST_CASE("the Changji 2023 norm set staffs at least 24 community workers per 10000 (committee counted)",
          "[norms][norm_set][engine]") {
  const std::vector<std::string> sample = {"city.generator.communities=20", "run.days=14", "population.dynamics.enabled=false"};
  const std::string baseline = test::source_path("scenarios/xian-baseline.yaml");
  std::vector<std::string> with_norms = sample;
  with_norms.push_back("norms=\"" + norm_file("changji-2023") + "\"");
  const Scenario sc = load_scenario(baseline, with_norms);
  CHECK(sc.norms.name == "changji-2023");
  REQUIRE(sc.staffing.rules.size() > 0);
  const std::vector<Community> city = build_city(sc, 0, compile_services(sc));
  const double per_10k = workers_per_10k(city, sc);
  CHECK(per_10k >= 24.0);
  CHECK(per_10k <= 26.5);
  size_t at_norm = 0;
  for (const Community& c : city) at_norm += c.info.workers_ok;
  CHECK(at_norm == city.size());
  // The same city without the set: 18 per 10,000 (Xi'an), and out of Changji's norm when judged by it.
  const Scenario xian = load_scenario(baseline, sample);
  CHECK(workers_per_10k(build_city(xian, 0, compile_services(xian)), xian) < 20.0);
  // A --set after the set still wins over it.
  with_norms.push_back("staffing.rules.community_worker.per_10k=30");
  for (const StaffingRule& r : load_scenario(baseline, with_norms).staffing.rules)
    if (r.role == "community_worker") CHECK(r.per_10k == 30);
}

TEST_CASE("a scenario names its norm set: scenarios/changji-2023.yaml", "[norms][norm_set]") {
  const Scenario sc = load_scenario(test::source_path("scenarios/changji-2023.yaml"));
  CHECK(sc.norms.name == "changji-2023");
  CHECK(sc.norms_file == read_norm_set(norm_file("changji-2023")).file);
  for (const StaffingRule& r : sc.staffing.rules)
    if (r.role == "community_worker") CHECK(r.per_10k == 25);
  // The resolved scenario names the set and loads again to the same rules.
  CHECK_THAT(sc.resolved_yaml, Catch::Contains("changji-2023.yaml"));
  const Scenario again = load_scenario_text(sc.resolved_yaml, "resolved.yaml", ".");
  CHECK(again.norms.name == "changji-2023");
  CHECK(scenario_to_yaml(again) == sc.resolved_yaml);
}

TEST_CASE("a bad norm file is an InputError at its line with the key", "[norms][norm_set]") {
  test::TempDir dir("normset");
  const auto error_of = [&](const std::string& text) {
    const std::string path = dir.write("bad.yaml", text);
    try {
      read_norm_set(path);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string head = "name: bad\ntitle: t\nsource: N3.5\n";
  CHECK_THAT(error_of(head + "community_workers:\n  per_10kk: 25\n  source: N3.5\n"),
             Catch::Contains("bad.yaml:5") && Catch::Contains("community_workers.per_10kk") && Catch::Contains("per_10k"));
  CHECK_THAT(error_of(head + "facility:\n  m2_per_100_households: -3\n  source: N2.1\n"),
             Catch::Contains("bad.yaml:5") && Catch::Contains("facility.m2_per_100_households"));
  CHECK_THAT(error_of(head + "community_workers:\n  per_10k: 25\n"), Catch::Contains("community_workers.source"));
  CHECK_THAT(error_of(head + "community_workers:\n  rule: per_client\n  source: N3.5\n"),
             Catch::Contains("bad.yaml:5") && Catch::Contains("community_workers.rule"));
  CHECK_THAT(error_of("name: bad\ncolour: red\n"), Catch::Contains("bad.yaml:2") && Catch::Contains("colour"));
  // A scenario naming a missing set: the error is at its `norms` key.
  const std::string scenario = dir.write("s.yaml", "extends: " + test::source_path("scenarios/xian-baseline.yaml") +
                                                        "\nnorms: nowhere.yaml\n");
  CHECK_THROWS_WITH(load_scenario(scenario), Catch::Contains("s.yaml:2") && Catch::Contains("nowhere.yaml"));
}

TEST_CASE("commsim norms --norms prints the set's requirements and a bad set is exit 2", "[norms][norm_set][cli]") {
  test::TempDir dir("normset-cli");
  const std::string bin = "exec '" + test::commsim_binary() + "' ";
  const test::Outcome json =
      test::run_shell(bin + "norms --norms scenarios/norms/changji-2023.yaml --households 3500 --json", test::source_dir(), dir.path());
  REQUIRE(json.exit_code == 0);
  CHECK_THAT(json.out, Catch::Contains("\"community_workers\":25"));
  const test::Outcome table = test::run_shell(bin + "norms --norms scenarios/norms/taiyuan-2020.yaml", test::source_dir(), dir.path());
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("taiyuan-2020") && Catch::Contains("SZ-taiyuan-2020") && Catch::Contains("committee on top"));
  const std::string bad = dir.write("bad.yaml", "name: bad\nsource: N3.5\ncommunity_workers:\n  per_10k: -1\n  source: N3.5\n");
  const test::Outcome o = test::run_shell(bin + "validate scenarios/xian-baseline.yaml --norms '" + bad + "'", test::source_dir(), dir.path());
  CHECK(o.exit_code == 2);
  CHECK_THAT(o.err, Catch::Contains("bad.yaml:4") && Catch::Contains("community_workers.per_10k"));
}
