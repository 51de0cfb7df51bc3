// Crash and disk faults (issue 9): a run killed mid-way, a run past a file size limit (what a full
// disk looks like to write()), truncated and partial output files read back by `commsim inspect`,
// and the temp-file + rename of --summary-json. Each runs the real commsim binary.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "sim/io/hdf5_output.hpp"
#include "tests/reliability/process.hpp"
#include "tests/skip.hpp"

namespace fs = std::filesystem;
using namespace commsim::test;

namespace {

const std::string kSmall = "tests/data/good/minimal.yaml";  // a run of well under a second
// About 1.4 MB of output in about 2 s: 200 generated communities, a year of daily records.
const std::string kBig = "tests/data/good/minimal.yaml --set 'city.communities=[]' "
                         "--set city.generator.communities=200 --set run.days=365";
// A run of several seconds: the Xi'an baseline city, with daily records (a large output file).
const std::string kLong = "scenarios/xian-baseline.yaml --set run.days=120 --threads 2";

std::string cli(const std::string& args) { return "exec '" + commsim_binary() + "' " + args; }

// Writes a complete result of the small scenario to `path` and returns its bytes.
std::string make_result(const std::string& path, const TempDir& scratch) {
  const Outcome o = run_shell(cli("run " + kSmall + " --set run.days=14 --quiet -o '" + path + "' --force"),
                              source_dir(), scratch.path());
  INFO(o.err);
  REQUIRE(o.exited);
  REQUIRE(o.exit_code == 0);
  REQUIRE(commsim::is_complete_output(path));
  return read_text(path);
}

// A scratch directory with out/result.h5, a complete result of the small scenario (the previous
// result a failing run must leave intact), and its bytes.
struct PreviousResult {
  TempDir scratch;
  fs::path out_dir;
  std::string target, before;
  explicit PreviousResult(const std::string& tag) : scratch(tag), out_dir(scratch.path() / "out") {
    fs::create_directory(out_dir);
    target = (out_dir / "result.h5").string();
    before = make_result(target, scratch);
  }
};

// Every file in `dir` other than `keep` must not look like a complete output.
void check_nothing_complete_but(const fs::path& dir, const std::string& keep) {
  for (const auto& name : list_dir(dir)) {
    if (name == keep) continue;
    INFO("leftover file " << name);
    CHECK_FALSE(commsim::is_complete_output((dir / name).string()));
    CHECK(name.size() > 8);
    CHECK(name.substr(name.size() - 8) == ".partial");
  }
}

}  // namespace

TEST_CASE("a run killed with SIGKILL leaves the previous result intact and nothing that looks complete",
          "[reliability][faults]") {
  const PreviousResult previous("kill");

  for (const int delay_ms : {300, 1000, 2500}) {
    DYNAMIC_SECTION("killed after " << delay_ms << " ms") {
      const std::string child_log = previous.scratch.file("child.log");  // outside previous.out_dir
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        // Child: become commsim, output to `previous.target` (with --force), quiet.
        if (::chdir(COMMSIM_SOURCE_DIR) != 0) ::_exit(127);
        const int null_fd = ::open("/dev/null", O_RDONLY);
        const int log_fd = ::open(child_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(null_fd, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        ::execl(COMMSIM_BINARY, "commsim", "run", "scenarios/xian-baseline.yaml", "--set", "run.days=120",
                "--threads", "2", "--quiet", "--force", "-o", previous.target.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      int status = 0;
      const bool still_running = ::waitpid(pid, &status, WNOHANG) == 0;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      INFO("the run should still be going after " << delay_ms << " ms (make the scenario longer if not); its output: "
           << read_text(child_log));
      CHECK(still_running);
      CHECK((read_text(previous.target) == previous.before));  // parenthesised: no dump of the bytes
      CHECK(commsim::is_complete_output(previous.target));
      check_nothing_complete_but(previous.out_dir, "result.h5");
      // A leftover partial file is reported clearly by `commsim inspect`.
      if (fs::exists(previous.target + ".partial")) {
        const Outcome o = run_shell(cli("inspect '" + previous.target + ".partial'"), source_dir(), previous.scratch.path());
        CHECK(o.exit_code == 1);
        CHECK(count_lines(o.err) == 1);
        CHECK(o.err.find(previous.target + ".partial") != std::string::npos);
      }
      // The next run over the leftover works and replaces the result.
      fs::remove(previous.target + ".partial");
    }
  }
}

TEST_CASE("a run past the file size limit reports 'File too large' naming the file, exit 1, result intact",
          "[reliability][faults]") {
  const PreviousResult previous("efbig");
  // A 256 KiB limit (bash counts ulimit -f in 1024-byte blocks): the big output is larger.
  // stdout/stderr go to files too and stay far below it.
  const Outcome o = run_shell("ulimit -f 256; " + cli("run " + kBig + " --quiet --force -o '" +
                                                           previous.target + "'"),
                              source_dir(), previous.scratch.path());
  INFO("stderr: " << o.err);
  CHECK(o.signal == 0);  // SIGXFSZ is ignored by commsim: write() fails with EFBIG instead
  CHECK(o.exited);
  CHECK(o.exit_code == 1);
  CHECK(count_lines(o.err) == 1);
  CHECK(o.err.rfind("commsim: failure: ", 0) == 0);
  CHECK(o.err.find("File too large") != std::string::npos);
  CHECK(o.err.find(previous.target) != std::string::npos);
  CHECK((read_text(previous.target) == previous.before));  // parenthesised: no dump of the bytes
  CHECK_FALSE(fs::exists(previous.target + ".partial"));
  check_nothing_complete_but(previous.out_dir, "result.h5");
}

TEST_CASE("a run onto a full file system reports 'No space left' naming the file, exit 1, result intact",
          "[reliability][faults]") {
  TempDir scratch("enospc");
  const fs::path out_dir = scratch.path() / "tiny";
  fs::create_directory(out_dir);
  const commsim::test::SmallFs tiny(out_dir.string(), "512k");
  if (!tiny.mounted())
    COMMSIM_SKIP("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); the ulimit -f test covers EFBIG");
  const std::string target = (out_dir / "result.h5").string();
  const std::string before = make_result(target, scratch);
  const Outcome o = run_shell(cli("run " + kBig + " --quiet --force -o '" + target + "'"),
                              source_dir(), scratch.path());
  INFO("stderr: " << o.err);
  CHECK(o.exited);
  CHECK(o.exit_code == 1);
  CHECK(count_lines(o.err) == 1);
  CHECK(o.err.find("No space left on device") != std::string::npos);
  CHECK(o.err.find(target) != std::string::npos);
  CHECK((read_text(target) == before));  // parenthesised: no dump of the bytes
  CHECK_FALSE(fs::exists(target + ".partial"));
}

TEST_CASE("commsim inspect prints a complete output and reports truncated, partial and foreign files",
          "[reliability][faults][inspect]") {
  TempDir scratch("inspect");
  const std::string good = scratch.file("good.h5");
  const std::string bytes = make_result(good, scratch);

  SECTION("complete file: provenance and the citywide table of each run") {
    const Outcome o = run_shell(cli("inspect '" + good + "'"), source_dir(), scratch.path());
    INFO(o.err);
    CHECK(o.exit_code == 0);
    CHECK(o.out.find("complete commsim output, 1 run") != std::string::npos);
    CHECK(o.out.find("scenario_name  minimal") != std::string::npos);
    CHECK(o.out.find("git_commit") != std::string::npos);
    CHECK(o.out.find("/runs/0000 citywide") != std::string::npos);
    CHECK(o.out.find("admin") != std::string::npos);
  }
  SECTION("truncated copies, a partial file, a foreign file, a missing file: exit 1, one line naming it") {
    std::vector<std::pair<std::string, std::string>> files;  // path, expected text
    for (const double keep : {0.0, 0.01, 0.25, 0.5, 0.9, 0.999}) {
      const std::string p = scratch.file("cut-" + std::to_string(static_cast<int>(keep * 1000)) + ".h5");
      write_text(p, bytes.substr(0, static_cast<size_t>(static_cast<double>(bytes.size()) * keep)));
      files.emplace_back(p, "");
      CHECK_FALSE(commsim::is_complete_output(p));
    }
    const std::string partial = scratch.file("run.h5.partial");
    {
      commsim::Hdf5Output out(scratch.file("run.h5"), false);
      fs::copy_file(out.partial_path(), partial + ".copy");  // as a crash would leave it
    }
    fs::rename(partial + ".copy", partial);
    files.emplace_back(partial, "");  // cut short or incomplete, depending on what HDF5 had flushed
    files.emplace_back(source_dir() + "/" + kSmall, "not an HDF5 file");
    files.emplace_back(scratch.file("missing.h5"), "no such file");
    for (const auto& [path, expected] : files) {
      const Outcome o = run_shell(cli("inspect '" + path + "'"), source_dir(), scratch.path());
      INFO(path << ": " << o.err);
      CHECK(o.exited);
      CHECK(o.exit_code == 1);
      CHECK(count_lines(o.err) == 1);
      CHECK(o.err.find(path) != std::string::npos);
      CHECK(o.err.find(expected) != std::string::npos);
    }
  }
}

TEST_CASE("the summary JSON (--summary-json) goes through a temp file and a rename", "[reliability][faults]") {
  TempDir scratch("summary");
  const std::string json = scratch.file("summary.json");
  write_text(json, "previous\n");
  SECTION("success: replaced whole, no temp file left") {
    const Outcome o = run_shell(cli("run " + kSmall + " --set run.days=7 --quiet --summary-json '" + json + "'"),
                                source_dir(), scratch.path());
    INFO(o.err);
    CHECK(o.exit_code == 0);
    const std::string text = read_text(json);
    CHECK(text.rfind("{", 0) == 0);
    CHECK(text.find("\"services\"") != std::string::npos);
    CHECK_FALSE(fs::exists(json + ".partial"));
  }
  SECTION("the temp file cannot be written: exit 2 before the run, the previous file intact") {
    fs::create_directory(json + ".partial");  // in the way of the temp file
    const Outcome o = run_shell(cli("run " + kSmall + " --set run.days=7 --quiet --summary-json '" + json + "'"),
                                source_dir(), scratch.path());
    INFO(o.err);
    CHECK(o.exit_code == 2);
    CHECK(count_lines(o.err) == 1);
    CHECK(o.err.find(json) != std::string::npos);
    CHECK(read_text(json) == "previous\n");
  }
  SECTION("a directory that does not exist: exit 2 before the run") {
    const std::string nowhere = scratch.file("no/such/dir/summary.json");
    const Outcome o = run_shell(cli("run " + kSmall + " --set run.days=7 --quiet --summary-json '" + nowhere + "'"),
                                source_dir(), scratch.path());
    INFO(o.err);
    CHECK(o.exit_code == 2);
    CHECK(count_lines(o.err) == 1);
    CHECK(o.err.find("--summary-json") != std::string::npos);
  }
}

TEST_CASE("an output path that is a device or pipe is refused, never replaced by the rename", "[reliability][faults]") {
  // As root, renaming OUT.partial over /dev/null would replace the device with a regular file.
  TempDir scratch("fifo");
  const std::string fifo = scratch.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const std::string& args : {"-o '" + fifo + "' --force", "--summary-json '" + fifo + "'"}) {
    const Outcome o = run_shell(cli("run " + kSmall + " --set run.days=7 --quiet " + args), source_dir(), scratch.path());
    INFO(args << ": " << o.err);
    CHECK(o.exit_code == 2);
    CHECK(count_lines(o.err) == 1);
    CHECK(o.err.find(fifo + " is not a regular file") != std::string::npos);
    struct stat st {};
    REQUIRE(::stat(fifo.c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
  }
  CHECK(list_dir(scratch.path()).size() == 1);
}
