// The workbench (sim/serve) without sockets: the API as a function of the request, the run store
// across restarts, the derived files and the comparison. The HTTP transport, the page and the
// behaviour under load and kills are tested end to end by the Python tests beside this file.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "sim/engine/engine.hpp"
#include "sim/io/summary_json.hpp"
#include "sim/scenario/load.hpp"
#include "sim/serve/run_files.hpp"
#include "sim/serve/run_store.hpp"
#include "sim/serve/workbench.hpp"
#include "sim/study/summary.hpp"
#include "tests/support.hpp"

using namespace commsim;
using namespace commsim::serve;
using nlohmann::json;

namespace {

ServeOptions options_for(const std::string& data) {
  ServeOptions o;
  o.data_dir = data;
  o.scenarios_dir = test::source_path("scenarios");
  o.run_threads = 2;
  return o;
}

HttpResponse call(Workbench& w, const std::string& method, const std::string& target, const std::string& body = "",
                  const std::string& host = "127.0.0.1:8080") {
  HttpRequest r;
  r.method = method;
  r.target = target;
  r.host = host;
  r.content_type = body.empty() ? "" : "application/json";
  r.body = body;
  return w.handle(r);
}

json body_of(const HttpResponse& r) {
  if (!r.file_path.empty()) return json::parse(test::read_text(r.file_path));
  return json::parse(r.body);
}

const char* kSmall = R"({"scenario": "xian-baseline", "set": {"city.generator.communities": 13, "run.days": 14}})";

json wait_done(Workbench& w, const std::string& id) {
  for (int i = 0; i < 6000; ++i) {
    const json run = body_of(call(w, "GET", "/api/runs/" + id));
    if (run["status"] == "done" || run["status"] == "failed") return run;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("run " << id << " did not finish");
  return {};
}

}  // namespace

TEST_CASE("every scalar key of a scenario is a --set key that reads back its own value", "[serve]") {
  const std::string path = test::source_path("scenarios/xian-baseline.yaml");
  const Scenario sc = load_scenario(path);
  const std::vector<ScenarioKey> keys = scenario_scalar_keys(sc);
  REQUIRE(keys.size() > 200);
  const ScenarioKey* cw = nullptr;
  for (const auto& k : keys) {
    if (k.key == "staffing.rules.community_worker.per_10k") cw = &k;
    CHECK(k.row.type != "path");
    CHECK(k.key.find("<name>") == std::string::npos);
  }
  REQUIRE(cw);
  CHECK(cw->value == "18");
  CHECK(cw->row.path == "staffing.rules.<name>.per_10k");
  CHECK(cw->row.low == 0);
  CHECK(cw->row.high == 10000);
  // Setting a key to the value it has changes nothing: the key is one the loader knows.
  for (size_t i = 0; i < keys.size(); i += 7) {
    const std::string value = keys[i].row.type == "text" ? "\"" + keys[i].value + "\"" : keys[i].value;
    INFO(keys[i].key << "=" << value);
    CHECK(load_scenario(path, {keys[i].key + "=" + value}).resolved_yaml == sc.resolved_yaml);
  }
}

TEST_CASE("schema rows carry ranges and choices", "[serve]") {
  bool days = false, mode = false;
  for (const auto& row : scenario_schema_rows()) {
    if (row.path == "run.days") {
      days = true;
      CHECK(row.low == 1);
      CHECK(row.high == 36500);
      CHECK_FALSE(row.low_open);
      CHECK_FALSE(row.high_open);
    }
    if (row.path == "sizing.mode") {
      mode = true;
      CHECK(row.choices == std::vector<std::string>{"as_given", "uniform", "restructure"});
    }
    if (row.type == "text") CHECK(std::isinf(row.low));
  }
  CHECK(days);
  CHECK(mode);
}

TEST_CASE("the API validates a run before queueing it, with the loader's message at the key", "[serve]") {
  test::TempDir dir("serve-api");
  Workbench w(options_for(dir.file("data")));  // no workers: posted runs stay queued

  const json scenarios = body_of(call(w, "GET", "/api/scenarios"));
  CHECK(scenarios["scenarios"].size() == w.scenario_names().size());

  HttpResponse r = call(w, "POST", "/api/runs", R"({"scenario": "xian-baseline", "set": {"run.days": 0}})");
  CHECK(r.status == 400);
  CHECK(body_of(r)["key"] == "run.days");
  CHECK(body_of(r)["message"] == "must be in [1, 36500], got 0");
  r = call(w, "POST", "/api/runs", R"({"scenario": "xian-baseline", "set": {"sizing.households": 100000, "sizing.upper": 2000}})");
  CHECK(r.status == 400);  // a cross-key check of the loader
  CHECK(body_of(r)["error"].get<std::string>().find("preferred must be within [lower, upper]") != std::string::npos);
  r = call(w, "POST", "/api/runs", R"({"scenario": "xian-baseline", "set": {"city.communities_file": "/etc/passwd"}})");
  CHECK(r.status == 400);
  CHECK(body_of(r)["key"] == "city.communities_file");
  CHECK(call(w, "POST", "/api/runs", R"({"scenario": "nope"})").status == 400);
  CHECK(call(w, "GET", "/api/runs/000001").status == 404);
  CHECK(body_of(call(w, "GET", "/api/runs"))["runs"].empty());

  r = call(w, "POST", "/api/runs", kSmall);
  REQUIRE(r.status == 202);
  const std::string id = body_of(r)["id"];
  CHECK(id == "000001");
  const json run = body_of(call(w, "GET", "/api/runs/" + id));
  CHECK(run["status"] == "queued");
  CHECK(run["queue_position"] == 1);
  CHECK(call(w, "GET", "/api/runs/" + id + "/summary").status == 409);
  // Safe defaults: a foreign Host is refused, unknown paths are 404 (never the page).
  CHECK(call(w, "GET", "/api/runs", "", "attacker.example").status == 403);
  CHECK(call(w, "GET", "/api/runs", "", "[evil").status == 403);
  CHECK(call(w, "GET", "/api/runs", "", "127.0.0.1.evil.example:8080").status == 403);
  CHECK(call(w, "GET", "/api/runs", "", "[::1]:8080").status == 200);
  CHECK(call(w, "GET", "/api/runs", "", "LocalHost").status == 200);
  CHECK(call(w, "GET", "/nothing/here").status == 404);
  CHECK(call(w, "GET", "/").status == 200);
  CHECK(call(w, "GET", "/vendor/chart.min.js").body.find("Chart.js v") != std::string::npos);
}

TEST_CASE("a token is required on the API when one is set", "[serve]") {
  test::TempDir dir("serve-token");
  ServeOptions o = options_for(dir.file("data"));
  o.token = "0123456789abcdef0123";
  Workbench w(o);
  HttpRequest r;
  r.method = "GET";
  r.target = "/api/runs";
  r.host = "example.org";  // with a token any Host is fine
  CHECK(w.handle(r).status == 401);
  r.authorization = "Bearer 0123456789abcdef0124";
  CHECK(w.handle(r).status == 401);
  r.authorization = "Bearer 0123456789abcdef0123";
  CHECK(w.handle(r).status == 200);
}

TEST_CASE("the store marks runs cut off by a stop failed and queues those that never started", "[serve]") {
  test::TempDir dir("serve-store");
  std::string queued;
  {
    Workbench w(options_for(dir.file("data")));
    queued = body_of(call(w, "POST", "/api/runs", kSmall))["id"];
  }
  // A run that was computing when the process died: its record says running, a partial file lies beside it.
  const std::string cut = dir.file("data/runs/000007");
  std::filesystem::create_directories(cut);
  json meta = json::parse(test::read_text(dir.file("data/runs/" + queued + "/meta.json")));
  meta["id"] = "000007";
  meta["status"] = "running";
  test::write_text(cut + "/meta.json", meta.dump());
  test::write_text(cut + "/output.h5.partial", "half");
  test::write_text(dir.file("data/runs/not-a-run"), "x");
  // A finished run whose files someone removed.
  const std::string gutted = dir.file("data/runs/000005");
  std::filesystem::create_directories(gutted);
  meta["id"] = "000005";
  meta["status"] = "done";
  test::write_text(gutted + "/meta.json", meta.dump());

  RunStore store(dir.file("data"));
  const auto interrupted = store.find("000007");
  REQUIRE(interrupted);
  CHECK(interrupted->status == RunStatus::failed);
  CHECK(interrupted->error.rfind("interrupted", 0) == 0);
  CHECK_FALSE(std::filesystem::exists(cut + "/output.h5.partial"));
  CHECK(json::parse(test::read_text(cut + "/meta.json"))["status"] == "failed");
  REQUIRE(store.find("000005"));
  CHECK(store.find("000005")->status == RunStatus::failed);
  CHECK(store.find("000005")->error.find("output.h5 is missing") != std::string::npos);
  REQUIRE(store.pending().size() == 1);
  CHECK(store.pending()[0]->id == queued);
  CHECK(store.all().front()->id == "000007");  // newest first
  // The next id follows the highest one found.
  CHECK(store.create("xian-baseline", json::object(), 1, 14, 1, 1000)->id == "000008");
}

TEST_CASE("a run computes on a worker: its summary is the --summary-json document", "[serve]") {
  test::TempDir dir("serve-run");
  Workbench w(options_for(dir.file("data")));
  w.start_workers();
  const std::string base = body_of(call(w, "POST", "/api/runs",
      R"({"scenario": "xian-baseline", "set": {"city.generator.communities": 13, "run.days": 14, "run.replicates": 2}})"))["id"];
  const std::string variant = body_of(call(w, "POST", "/api/runs",
      R"({"scenario": "xian-baseline", "set": {"city.generator.communities": 13, "run.days": 14, "run.replicates": 2,
          "staffing.rules.community_worker.per_10k": 9, "name": "fewer \"workers\"\nrun: {days: 1}"}})"))["id"];
  REQUIRE(wait_done(w, base)["status"] == "done");
  const json v = wait_done(w, variant);
  REQUIRE(v["status"] == "done");
  CHECK(v["progress"] == 1.0);

  const Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"),
                                    {"city.generator.communities=13", "run.days=14", "run.replicates=2"});
  const HttpResponse summary = call(w, "GET", "/api/runs/" + base + "/summary");
  CHECK(test::read_text(summary.file_path) == summary_json(sc, run_scenario(sc)));
  CHECK(body_of(call(w, "GET", "/api/runs/" + variant + "/summary"))["scenario"] == "fewer \"workers\"\nrun: {days: 1}");

  const json compare = body_of(call(w, "GET", "/api/compare?base=" + base + "&variant=" + variant));
  CHECK(compare["paired"] == true);
  CHECK(compare["replicates"] == 2);
  CHECK(compare["roles"]["community_worker"]["staff"]["difference"].get<double>() < 0);
  const json csv_check = json::parse(test::read_text(dir.file("data/runs/" + base + "/replicates.json")));
  const std::string csv = call(w, "GET", "/api/runs/" + base + "/citywide.csv").body;
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 2 * static_cast<long>(csv_check[0]["service_order"].size()));
  const json map = body_of(call(w, "GET", "/api/runs/" + base + "/communities"));
  CHECK(map["name"].size() == 13);
  CHECK(map["coverage"]["medical"].size() == 13);
  CHECK(call(w, "GET", "/api/runs/" + base + "/output.h5").file_path.ends_with("/output.h5"));
}

TEST_CASE("compare pairs replicates and says when seeds or populations differ", "[serve]") {
  auto rep = [](uint64_t seed, double residents, double coverage) {
    return json{{"replicate", 0},
                {"seed", seed},
                {"residents", residents},
                {"services", {{"medical", {{"coverage", coverage}}}}},
                {"roles", {{"gp", {{"staff", 10}}}}}};
  };
  const json base = json::array({rep(1, 100, 0.5), rep(2, 100, 0.7)});
  const json same = json::array({rep(1, 100, 0.6), rep(2, 100, 0.8)});
  json c = compare_replicates(base, same);
  CHECK(c["paired"] == true);
  CHECK(c["notes"].empty());
  CHECK(c["services"]["medical"]["coverage"]["difference"].get<double>() == Approx(0.1));
  CHECK(c["services"]["medical"]["coverage"]["difference_ci95"].get<double>() == Approx(0).margin(1e-12));
  CHECK(c["services"]["medical"]["coverage"]["unpaired_ci95"].get<double>() > 0.1);  // what pairing buys
  c = compare_replicates(base, json::array({rep(5, 90, 0.6), rep(6, 90, 0.8)}));
  CHECK(c["paired"] == false);
  CHECK(c["notes"].size() == 2);
  CHECK_THROWS_AS(compare_replicates(base, json::array({rep(1, 100, 0.6)})), std::invalid_argument);

  const PairedDifference d = paired_difference({3, 5, 7}, {1, 2, 3});
  CHECK(d.diff.mean == Approx(3));
  CHECK(d.diff.n == 3);
}

TEST_CASE("the schema gives exact integer bounds and a census city's real range of communities", "[serve]") {
  test::TempDir dir("serve-schema");
  Workbench w(options_for(dir.file("data")));
  const json schema = body_of(call(w, "GET", "/api/schema?scenario=xian-baseline"));
  json seed, communities;
  for (const json& lever : schema["levers"]) {
    if (lever["key"] == "run.seed") seed = lever;
    if (lever["key"] == "city.generator.communities") communities = lever;
  }
  REQUIRE(seed.is_object());
  REQUIRE(communities.is_object());
  // A double prints 2^64 - 1 as 18446744073709552000, which the loader refuses.
  CHECK(seed["high_text"] == "18446744073709551615");
  CHECK(seed["low_text"] == "0");
  // 0 (the whole city) or one community per census unit at least: 11 districts and 2 counties.
  CHECK(communities["nonzero_low"] == 13);
  CHECK(communities["allowed"].get<std::string>().find("census unit") != std::string::npos);
  // The server agrees: 12 is refused at the key with the feasible range, 13 is accepted.
  const HttpResponse r = call(w, "POST", "/api/runs", R"({"scenario": "xian-baseline", "set": {"city.generator.communities": 12}})");
  CHECK(r.status == 400);
  CHECK(body_of(r)["key"] == "city.generator.communities");
  CHECK(body_of(r)["message"].get<std::string>().find("must be 0 (the whole city) or in [13, 1000000]") != std::string::npos);
}

// ------------------------------------------------------------------ issue 28: allocations and fronts
namespace {

const char* kSmallCity = R"("set": {"city.generator.communities": 13, "run.days": 14})";

json wait_plan(Workbench& w, const std::string& kind, const std::string& id) {
  for (int i = 0; i < 12000; ++i) {
    const json job = body_of(call(w, "GET", "/api/" + kind + "/" + id));
    if (job["status"] == "done" || job["status"] == "failed") return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL(kind << " " << id << " did not finish");
  return {};
}

}  // namespace

TEST_CASE("an allocation is checked like the CLI checks it, refused above the size limit, and kept", "[serve][views]") {
  test::TempDir dir("serve-alloc-check");
  ServeOptions o = options_for(dir.file("data"));
  o.max_resident_days = 2e8;
  {
    Workbench w(o);  // no workers: posted jobs stay queued
    auto post = [&](const std::string& fields) {
      return call(w, "POST", "/api/allocations", std::string(R"({"scenario": "xian-baseline", )") + kSmallCity + fields + "}");
    };
    HttpResponse r = post(R"(, "role": "nobody", "add": 3)");
    CHECK(r.status == 400);
    CHECK(body_of(r)["key"] == "role");
    CHECK(body_of(r)["message"].get<std::string>().find("unknown role 'nobody'; the scenario has: ") == 0);
    r = post(R"(, "role": "community_worker", "add": -1)");
    CHECK(r.status == 400);
    CHECK(body_of(r)["key"] == "add");
    r = post(R"(, "role": "community_worker", "add": 3, "objective": "happiness")");
    CHECK(r.status == 400);
    CHECK(body_of(r)["key"] == "objective");
    CHECK(body_of(r)["message"] == "unknown objective 'happiness'; allowed: unmet_hours, coverage, gini");
    r = post(R"(, "role": "community_worker", "add": 3, "colour": "red")");
    CHECK(r.status == 400);
    CHECK(body_of(r)["key"] == "colour");
    // Every level the greedy may open is a city run: 1000 workers could be 1,014 runs of the city.
    r = post(R"(, "role": "community_worker", "add": 1000)");
    CHECK(r.status == 422);
    CHECK(body_of(r)["key"] == "add");
    CHECK(body_of(r)["error"].get<std::string>().find("--max-resident-days") != std::string::npos);
    r = post(R"(, "role": "community_worker", "add": 3)");
    REQUIRE(r.status == 202);
    CHECK(body_of(r)["kind"] == "allocation");
    const json listed = body_of(call(w, "GET", "/api/allocations"))["allocations"];
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["request"]["objective"] == "unmet_hours");  // the default filled in
    CHECK(body_of(call(w, "GET", "/api/runs"))["runs"].empty());  // the runs list holds runs only
    CHECK(call(w, "GET", "/api/runs/" + listed[0]["id"].get<std::string>()).status == 404);
    CHECK(call(w, "GET", "/api/fronts/" + listed[0]["id"].get<std::string>()).status == 404);
  }
  // A restart lists it again, still queued, and takes it up.
  Workbench again(o);
  const json listed = body_of(call(again, "GET", "/api/allocations"))["allocations"];
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["status"] == "queued");
  CHECK(listed[0]["request"]["add"] == 3);
  CHECK(body_of(call(again, "GET", "/api/allocations/" + listed[0]["id"].get<std::string>()))["queue_position"] == 1);

  // A record from before the planning jobs (no kind) is a run; a done job without its result is failed.
  json meta = json::parse(test::read_text(dir.file("data/runs/" + listed[0]["id"].get<std::string>() + "/meta.json")));
  meta.erase("kind");
  meta.erase("request");
  meta["id"] = "000008";
  std::filesystem::create_directories(dir.file("data/runs/000008"));
  test::write_text(dir.file("data/runs/000008/meta.json"), meta.dump());
  meta["id"] = "000009";
  meta["kind"] = "front";
  meta["status"] = "done";
  std::filesystem::create_directories(dir.file("data/runs/000009"));
  test::write_text(dir.file("data/runs/000009/meta.json"), meta.dump());
  RunStore store(dir.file("data"));
  REQUIRE(store.find("000008"));
  CHECK(store.find("000008")->kind == "run");
  CHECK(store.all("run").size() == 1);
  REQUIRE(store.find("000009"));
  CHECK(store.find("000009")->status == RunStatus::failed);
  CHECK(store.find("000009")->error.find("front's file result.json is missing") != std::string::npos);
}

TEST_CASE("a front is checked like the CLI checks it and refused above the size limit", "[serve][views]") {
  test::TempDir dir("serve-front-check");
  ServeOptions o = options_for(dir.file("data"));
  o.max_resident_days = 2e8;
  Workbench w(o);
  auto post = [&](const std::string& fields) {
    return call(w, "POST", "/api/fronts", std::string(R"({"scenario": "xian-baseline", )") + kSmallCity + fields + "}");
  };
  const std::string objectives = R"("objectives": ["cost_total_yuan", "unmet_hours"])";
  HttpResponse r = post(R"(, "levers": {"staffing.rules.community_worker.per_10k": [10, 20000]}, )" + objectives);
  CHECK(r.status == 400);
  CHECK(body_of(r)["key"] == "levers");
  CHECK(body_of(r)["message"].get<std::string>().find("outside the key's range [0, 10000]") != std::string::npos);
  r = post(R"(, "levers": {"no.such.key": [1, 2]}, )" + objectives);
  CHECK(r.status == 400);
  CHECK(body_of(r)["key"] == "levers");
  const std::string lever = R"(, "levers": {"staffing.rules.community_worker.per_10k": [10, 30]}, )";
  r = post(lever + R"("objectives": ["cost_total_yuan", "happiness"])");
  CHECK(r.status == 400);
  CHECK(body_of(r)["key"] == "objectives");
  r = post(lever + objectives + R"(, "population": 10)");
  CHECK(r.status == 400);
  CHECK(body_of(r)["key"] == "population");
  CHECK(body_of(r)["message"] == "NSGA-II needs a population that is a multiple of 4 in 8..10000, got 10");
  r = post(lever + objectives + R"(, "generations": 0)");
  CHECK(r.status == 400);
  CHECK(body_of(r)["key"] == "generations");
  r = post(lever + objectives + R"(, "population": 400, "generations": 100)");
  CHECK(r.status == 422);
  CHECK(body_of(r)["key"] == "generations");
  // A lever that grows the city is counted at its high end.
  r = post(R"(, "levers": {"run.days": [14, 3000]}, )" + objectives + R"(, "population": 8, "generations": 1)");
  CHECK(r.status == 422);
  r = post(lever + objectives + R"(, "population": 8, "generations": 1)");
  REQUIRE(r.status == 202);
  CHECK(body_of(r)["kind"] == "front");
  CHECK(body_of(call(w, "GET", "/api/fronts"))["fronts"].size() == 1);
}

TEST_CASE("an allocation computes on a worker: N added, positions for the map, the check's gain", "[serve][views][slow]") {
  test::TempDir dir("serve-alloc");
  Workbench w(options_for(dir.file("data")));
  w.start_workers();
  const HttpResponse r = call(w, "POST", "/api/allocations", std::string(R"({"scenario": "xian-baseline", )") +
                                                                 kSmallCity + R"(, "role": "community_worker", "add": 3})");
  REQUIRE(r.status == 202);
  const json job = wait_plan(w, "allocations", body_of(r)["id"]);
  REQUIRE(job["status"] == "done");
  const json& result = job["result"];
  CHECK(result["added"] == 3);
  REQUIRE(result["communities"].size() == 13);
  int added = 0;
  double removed = 0;
  for (const json& c : result["communities"]) {
    added += c["added"].get<int>();
    removed += c["unmet_hours_removed"].get<double>();
    CHECK(c.contains("x_m"));
    CHECK(c["unmet_hours_before"].get<double>() - c["unmet_hours_after"].get<double>() ==
          Approx(c["unmet_hours_removed"].get<double>()));
  }
  CHECK(added == 3);
  CHECK(removed == Approx(result["search"]["before"].get<double>() - result["search"]["after"].get<double>()));
  CHECK(result["check"]["gain"]["n"] == 4);
  CHECK(result["communities_csv"].get<std::string>().find("added.community_worker") != std::string::npos);
  CHECK(result["check"]["allocation"]["mean"].get<double>() ==
        Approx(result["check"]["proportional"]["mean"].get<double>() - result["check"]["gain"]["mean"].get<double>()));
  // A restart serves it again, from its result.json.
  Workbench again(options_for(dir.file("data")));
  const json listed = body_of(call(again, "GET", "/api/allocations"))["allocations"];
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["status"] == "done");
  CHECK(body_of(call(again, "GET", "/api/allocations/" + job["id"].get<std::string>()))["result"] == result);
}

TEST_CASE("a front computes on a worker, and a point's run set runs as a run", "[serve][views][slow]") {
  test::TempDir dir("serve-front");
  Workbench w(options_for(dir.file("data")));
  w.start_workers();
  const HttpResponse r = call(w, "POST", "/api/fronts", std::string(R"({"scenario": "xian-baseline", )") + kSmallCity +
      R"(, "levers": {"staffing.rules.community_worker.per_10k": [10, 30]},
         "objectives": ["cost_total_yuan", "unmet_hours"], "population": 8, "generations": 1})");
  REQUIRE(r.status == 202);
  const json job = wait_plan(w, "fronts", body_of(r)["id"]);
  REQUIRE(job["status"] == "done");
  const json& front = job["result"]["front"];
  REQUIRE(front.size() >= 2);
  for (size_t i = 1; i < front.size(); ++i)  // sorted by cost, so unmet hours fall along the front
    CHECK(front[i]["objectives"]["unmet_hours"].get<double>() < front[i - 1]["objectives"]["unmet_hours"].get<double>());
  const json point = front[0];
  CHECK(point["run_set"]["run.days"] == 14);
  CHECK(point["run_set"]["staffing.rules.community_worker.per_10k"] == point["set"]["staffing.rules.community_worker.per_10k"]);
  // "Run this point": the page posts the point's run_set as a run.
  const HttpResponse run = call(w, "POST", "/api/runs", json{{"scenario", "xian-baseline"}, {"set", point["run_set"]}}.dump());
  REQUIRE(run.status == 202);
  REQUIRE(wait_done(w, body_of(run)["id"])["status"] == "done");
  const json summary = body_of(call(w, "GET", "/api/runs/" + body_of(run)["id"].get<std::string>() + "/summary"));
  CHECK(summary["cost"]["total_yuan"].get<double>() == Approx(point["objectives"]["cost_total_yuan"].get<double>()).epsilon(0.01));
  CHECK(body_of(call(w, "GET", "/api/fronts"))["fronts"].size() == 1);
  CHECK(body_of(call(w, "GET", "/api/runs"))["runs"].size() == 1);
}
