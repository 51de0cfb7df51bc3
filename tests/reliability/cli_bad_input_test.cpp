// Bad input never crashes (issue 9): runs the commsim binary on every case of
// tests/data/cli-bad/CASES.tsv and on every scenario of the loader's bad corpus
// (tests/data/bad/EXPECTED.tsv, through `commsim run -o`), and asserts for each: the exit code
// (2 = bad input), stderr is exactly one line "commsim: error: ..." containing the expected
// text (file:line:column and key where there is one), no signal or core dump, and nothing left in
// the working directory (no output file, no .partial, no core).
#include <catch2/catch.hpp>

#include <map>

#include "tests/reliability/process.hpp"

namespace fs = std::filesystem;
using namespace commsim::test;

namespace {

struct Case {
  std::string name;
  std::string command;   // arguments of commsim, space separated, with {placeholders}
  int exit_code = 2;
  std::vector<std::string> expected;  // each must occur in stderr
  int line = 0;          // in CASES.tsv
};

std::vector<Case> read_cases() {
  const std::string path = source_dir() + "/tests/data/cli-bad/CASES.tsv";
  std::vector<Case> cases;
  for (const TsvRow& row : read_tsv(path)) {
    const auto& f = row.fields;
    INFO(path << ":" << row.line);
    REQUIRE(f.size() >= 4);
    Case c;
    c.name = f[0];
    c.command = f[1];
    c.exit_code = std::stoi(f[2]);
    c.expected.assign(f.begin() + 3, f.end());
    c.line = row.line;
    cases.push_back(c);
  }
  return cases;
}

// Runs one case in a fresh scratch directory and checks everything the issue asks for.
void check_case(const Case& c) {
  TempDir scratch("cli-bad");
  const fs::path work = scratch.path() / "work";
  fs::create_directory(work);
  const std::map<std::string, std::string> vars = {
      {"{src}", source_dir()},
      {"{bad}", source_dir() + "/tests/data/bad"},
      {"{csv}", source_dir() + "/tests/data/bad-csv"},
      {"{cli}", source_dir() + "/tests/data/cli-bad"},
      {"{good}", source_dir() + "/tests/data/good"},
      {"{out}", work.string()},
  };
  const std::string args = substitute(c.command, vars);
  const Outcome o = run_shell("exec '" + commsim_binary() + "' " + args, work, scratch.path());
  INFO("case " << c.name << " (CASES line " << c.line << "): commsim " << args << "\nstderr: " << o.err
                << "stdout: " << o.out.substr(0, 2000));
  CHECK_FALSE(o.core_dumped);
  CHECK(o.signal == 0);
  CHECK(o.exited);
  CHECK(o.exit_code == c.exit_code);
  CHECK(count_lines(o.err) == 1);
  CHECK((!o.err.empty() && o.err.back() == '\n'));
  CHECK(o.err.rfind(c.exit_code == 2 ? "commsim: error: " : "commsim: failure: ", 0) == 0);
  for (const auto& e : c.expected) {
    const std::string want = substitute(e, vars);
    INFO("expected text: " << want);
    CHECK(o.err.find(want) != std::string::npos);
  }
  const auto left = list_dir(work);
  INFO("left in the working directory: " << (left.empty() ? std::string("nothing") : left.front()));
  CHECK(left.empty());
}

}  // namespace

TEST_CASE("commsim exits 2 with one line on every bad input of tests/data/cli-bad/CASES.tsv", "[reliability][cli]") {
  const auto cases = read_cases();
  REQUIRE(cases.size() >= 30);
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) { check_case(c); }
  }
}

TEST_CASE("commsim run -o exits 2 with one line on every scenario of the bad corpus", "[reliability][cli]") {
  const std::string dir = source_dir() + "/tests/data/bad";
  int cases = 0;
  for (const TsvRow& row : read_tsv(dir + "/EXPECTED.tsv")) {
    REQUIRE(row.fields.size() == 2);
    Case c;
    c.name = row.fields[0];
    c.command = "run {bad}/" + row.fields[0] + " -o {out}/result.h5";
    c.exit_code = 2;
    c.expected = {row.fields[1]};
    c.line = row.line;
    ++cases;
    DYNAMIC_SECTION(c.name) { check_case(c); }
  }
  CHECK(cases >= 40);
}
