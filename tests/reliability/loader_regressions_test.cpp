// Regression cases of the loader found by hand or by fuzzing (tests/fuzz/regressions/, issue 9):
// every file there must load to an InputError (never a crash, a hang or another exception), in
// well under a second. A file whose name ends in ".csv-input" is "YAML\0CSV" as the fuzz target
// takes it: the CSV part is written to fuzz.csv beside the scenario and read as a household file.
#include <catch2/catch.hpp>

#include <chrono>

#include "sim/population/population.hpp"
#include "sim/scenario/load.hpp"
#include "tests/reliability/process.hpp"

namespace fs = std::filesystem;
using namespace commsim::test;

TEST_CASE("every fuzz regression input gives InputError", "[reliability][fuzz]") {
  const fs::path dir = fs::path(source_dir()) / "tests/fuzz/regressions";
  TempDir scratch("fuzz-regression");
  fs::create_directories(scratch.path() / "bad");
  fs::create_directories(scratch.path() / "good");
  fs::copy_file(fs::path(source_dir()) / "tests/data/good/minimal.yaml", scratch.path() / "good/minimal.yaml");
  const std::string base = (scratch.path() / "bad").string();
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string input = read_text(entry.path());
    const size_t nul = input.find('\0');
    write_text(scratch.path() / "bad/fuzz.csv", nul == std::string::npos ? "" : input.substr(nul + 1));
    INFO(entry.path().filename().string());
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(commsim::load_scenario_text(input.substr(0, nul), "fuzz.yaml", base), commsim::InputError);
    if (nul != std::string::npos)
      CHECK_THROWS_AS(commsim::load_households_csv(base + "/fuzz.csv"), commsim::InputError);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    ++files;
  }
  CHECK(files >= 2);
}

TEST_CASE("YAML aliases cannot recurse without end or expand without bound", "[reliability][loader]") {
  using commsim::InputError;
  CHECK_THROWS_WITH(commsim::load_scenario_text("a: &a [*a]\n", "x.yaml", "."),
                    Catch::Contains("x.yaml:1:4: key 'a.0.0") && Catch::Contains("nested more than 64 levels deep"));
  CHECK_THROWS_WITH(commsim::load_scenario_text("name: x\nrun: &r {days: *r}\n", "x.yaml", "."),
                    Catch::Contains("nested more than 64 levels deep"));
  // 8 levels of 8-fold aliases: 16.8 million values once expanded.
  std::string bomb = "name: laughs\nl0: &l0 [x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    // Appended piece by piece: GCC 12 warns (-Wrestrict, PR105329) on "literal" + std::string&&.
    const std::string level = std::to_string(i), previous = std::to_string(i - 1);
    bomb += 'l';
    bomb += level;
    bomb += ": &l";
    bomb += level;
    bomb += " [";
    for (int j = 0; j < 8; ++j) {
      bomb += j ? ", *l" : "*l";
      bomb += previous;
    }
    bomb += "]\n";
  }
  CHECK_THROWS_WITH(commsim::load_scenario_text(bomb, "x.yaml", "."),
                    Catch::Contains("expands to more than 1000000 values"));
  // Ordinary aliases still work.
  const std::string shared = read_text(source_dir() + "/tests/data/good/minimal.yaml") +
                             "  other: &other {role: community_worker, rate_per_year: 1.0}\n"
                             "  another: *other\n";
  CHECK(commsim::load_scenario_text(shared, "x.yaml", source_dir() + "/tests/data/good").services.size() == 3);
}
