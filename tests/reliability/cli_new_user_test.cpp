// What a new user tripped on (issue 22): `commsim run`'s outputs never destroy its inputs (item 3), a
// signal stops a run cleanly (item 6), `validate` aligns Chinese names (item 10). Runs the commsim
// binary in a scratch directory.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/reliability/process.hpp"

namespace fs = std::filesystem;
using namespace commsim::test;

namespace {

// A scenario that extends a base which reads a communities CSV, all in `dir`.
void write_inputs(const TempDir& dir) {
  fs::copy_file(source_dir() + "/tests/data/bad-csv/base-city.yaml", dir.file("base.yaml"));
  fs::copy_file(source_dir() + "/tests/data/bad-csv/good-city.csv", dir.file("good-city.csv"));
  dir.write("child.yaml", "extends: base.yaml\nname: child\n");
  fs::create_directory(dir.path() / "sub");
}

}  // namespace

TEST_CASE("run refuses an output path that names one of its inputs, and leaves the input intact",
          "[reliability][cli][outputs]") {
  TempDir dir("run-outputs");
  write_inputs(dir);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-o child.yaml --force", "child.yaml"},           // the scenario itself
      {"-o ./sub/../child.yaml --force", "child.yaml"},  // the same file by another name
      {"-o base.yaml --force", "base.yaml"},             // the extends base
      {"-o good-city.csv --force", "good-city.csv"},     // a data file it reads
      {"--summary-json base.yaml", "base.yaml"},
      {"--summary-json good-city.csv", "good-city.csv"},
  };
  for (const auto& [options, input] : cases) {
    const std::string before = read_text(dir.file(input));
    const Outcome o = run_shell("exec '" + commsim_binary() + "' run child.yaml " + options, dir.path(), dir.path() / "sub");
    INFO("commsim run child.yaml " << options << "\nstderr: " << o.err);
    CHECK(o.exited);
    CHECK(o.exit_code == 2);
    CHECK(o.err.find("is an input of this run") != std::string::npos);
    CHECK(read_text(dir.file(input)) == before);
    CHECK_FALSE(fs::exists(dir.file(input + ".partial")));
  }
  // A link to an input is the input.
  fs::create_symlink(dir.file("base.yaml"), dir.file("link.h5"));
  const Outcome o = run_shell("exec '" + commsim_binary() + "' run child.yaml -o link.h5 --force", dir.path(), dir.path() / "sub");
  CHECK(o.exit_code == 2);
  CHECK(read_text(dir.file("base.yaml")).find("name: bad-csv-city") != std::string::npos);
}

TEST_CASE("SIGTERM and SIGINT stop a run: no partial file, the previous output intact, one line, 128+N",
          "[reliability][cli][signal]") {
  for (const int signal : {SIGTERM, SIGINT}) {
    TempDir dir("run-signal");
    const std::string out = dir.write("out.h5", "the previous output\n");
    const std::string err = dir.file("stderr.txt");
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      if (!std::freopen(err.c_str(), "w", stderr) || !std::freopen("/dev/null", "w", stdout)) ::_exit(99);
      ::execl(commsim_binary().c_str(), "commsim", "run", (source_dir() + "/tests/data/good/small-city.yaml").c_str(),
              "-o", out.c_str(), "--force", "--threads", "1", "--set", "run.days=3650", "--set", "run.replicates=20",
              static_cast<char*>(nullptr));
      ::_exit(98);
    }
    // Wait until the run writes OUT.h5.partial (the scenario is loaded, the run under way).
    const auto start = std::chrono::steady_clock::now();
    while (!fs::exists(out + ".partial") && std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(fs::exists(out + ".partial"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto sent = std::chrono::steady_clock::now();
    REQUIRE(::kill(pid, signal) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    const std::string text = read_text(err);
    INFO("signal " << signal << ", stderr: " << text);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + signal);
    CHECK(seconds < 10);
    CHECK_FALSE(fs::exists(out + ".partial"));
    CHECK(read_text(out) == "the previous output\n");
    CHECK(text.find("commsim: stopped by SIG") != std::string::npos);
    CHECK(text.find("the previous " + out + " is intact") != std::string::npos);
  }
}

namespace {

// Terminal columns of the UTF-8 text (the CJK characters of these tests take two).
size_t columns(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    width += (n == 3 && c >= 0xE3 && c <= 0xE9) ? 2 : 1;
    i += n;
  }
  return width;
}

}  // namespace

TEST_CASE("validate's community table aligns Chinese names by display width", "[reliability][cli][validate]") {
  TempDir dir("validate-width");
  std::string yaml = read_text(source_dir() + "/tests/data/bad-csv/base-city.yaml");
  const size_t at = yaml.find("  communities_file: good-city.csv\n");
  REQUIRE(at != std::string::npos);
  yaml.replace(at, std::string("  communities_file: good-city.csv\n").size(),
               "  communities:\n"
               "    - {name: \"雁塔路社区\", district: d1, households: 3000}\n"
               "    - {name: plain, district: d1, households: 3100}\n"
               "    - {name: \"小寨\", district: d1, households: 2900}\n");
  dir.write("city.yaml", yaml);
  const Outcome o = run_shell("exec '" + commsim_binary() + "' validate city.yaml --all", dir.path(), dir.path());
  INFO(o.out << o.err);
  REQUIRE(o.exit_code == 0);
  // The column where the third field (households) ends is the same on the header and every row.
  const auto third_field_end = [](const std::string& l) {
    size_t pos = 0;
    for (int field = 0; field < 3 && pos != std::string::npos; ++field) pos = l.find(' ', l.find_first_not_of(' ', pos));
    return l.substr(0, pos);
  };
  std::vector<size_t> ends;
  for (const std::string name : {"community ", "雁塔路社区", "plain", "小寨"}) {
    std::istringstream lines(o.out);
    std::string line;
    while (std::getline(lines, line))
      if (line.rfind(name, 0) == 0) {
        ends.push_back(columns(third_field_end(line)));
        break;
      }
  }
  REQUIRE(ends.size() == 4);
  CHECK(ends[1] == ends[0]);
  CHECK(ends[2] == ends[0]);
  CHECK(ends[3] == ends[0]);
}
