// Bad registries, targets and calibrate arguments (issue 16): every case of
// tests/data/bad-calibration/EXPECTED.tsv runs the commsim binary and must end with exit status 2,
// one line "commsim: error: ..." holding the expected texts (file:line:column first), no signal,
// and nothing written to the working folder.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "tests/reliability/process.hpp"

namespace fs = std::filesystem;
using namespace commsim::test;


TEST_CASE("bad registries, targets and calibrate arguments: file:line, exit 2, nothing written",
          "[calibration][reliability]") {
  const std::string dir = source_dir() + "/tests/data/bad-calibration";
  int cases = 0;
  for (const TsvRow& row : read_tsv(dir + "/EXPECTED.tsv")) {
    const auto& f = row.fields;
    INFO("EXPECTED.tsv:" << row.line);
    REQUIRE(f.size() >= 3);
    TempDir scratch("bad-calibration");
    const fs::path work = scratch.path() / "work";
    fs::create_directory(work);
    const std::map<std::string, std::string> vars = {{"{file}", dir + "/" + f[0]},
                                                     {"{good}", source_dir() + "/tests/data/good"},
                                                     {"{src}", source_dir()},
                                                     {"{out}", work.string()}};
    const Outcome o = run_shell("exec '" + commsim_binary() + "' " + substitute(f[1], vars), work, scratch.path());
    INFO("stderr: " << o.err);
    CHECK(o.exited);
    CHECK(o.exit_code == 2);
    CHECK(o.err.rfind("commsim: error: ", 0) == 0);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    for (size_t i = 2; i < f.size(); ++i) CHECK_THAT(o.err, Catch::Contains(f[i]));
    CHECK(list_dir(work).empty());
    ++cases;
  }
  CHECK(cases >= 20);
}
