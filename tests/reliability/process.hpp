// Helpers for the reliability tests: run the commsim binary (or a shell line) in a scratch
// directory and collect how it ended and what it printed.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support.hpp"

namespace commsim::test {

inline std::vector<std::string> list_dir(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  return names;
}

struct Outcome {
  bool exited = false;   // ended by exit(), not by a signal
  int exit_code = -1;
  int signal = 0;        // the signal that ended it, if any
  bool core_dumped = false;
  std::string out, err;
};

// Runs `shell_line` with /bin/sh in `cwd`, stdout/stderr captured into files under `capture_dir`
// (keep it outside any directory whose contents a test checks). The line should `exec` the
// program so that a signal ending it shows in the status instead of as the shell's 128+N.
inline Outcome run_shell(const std::string& shell_line, const std::filesystem::path& cwd,
                         const std::filesystem::path& capture_dir) {
  const std::string out_file = (capture_dir / "captured.stdout").string();
  const std::string err_file = (capture_dir / "captured.stderr").string();
  const std::string line = "cd '" + cwd.string() + "' && ulimit -c 0 && (" + shell_line + ") </dev/null >'" +
                           out_file + "' 2>'" + err_file + "'";
  const int status = std::system(line.c_str());
  Outcome o;
  if (status != -1 && WIFEXITED(status)) {
    o.exit_code = WEXITSTATUS(status);
    // A shell reports a child ended by signal N as 128+N.
    if (o.exit_code > 128 && o.exit_code < 128 + 65) o.signal = o.exit_code - 128;
    else o.exited = true;
  } else if (status != -1 && WIFSIGNALED(status)) {
    o.signal = WTERMSIG(status);
    o.core_dumped = WCOREDUMP(status);
  }
  o.out = read_text(out_file);
  o.err = read_text(err_file);
  std::error_code ec;
  std::filesystem::remove(out_file, ec);
  std::filesystem::remove(err_file, ec);
  return o;
}

inline std::string commsim_binary() { return COMMSIM_BINARY; }
inline std::string source_dir() { return COMMSIM_SOURCE_DIR; }

// The rows of a tab-separated case file (blank lines and '#' comments skipped), with their line numbers.
struct TsvRow {
  int line = 0;
  std::vector<std::string> fields;
};

inline std::vector<TsvRow> read_tsv(const std::string& path) {
  std::istringstream in(read_text(path));
  std::vector<TsvRow> rows;
  std::string text;
  for (int n = 1; std::getline(in, text); ++n) {
    if (text.empty() || text[0] == '#') continue;
    TsvRow row{n, {std::string()}};
    for (char c : text) {
      if (c == '\t') row.fields.emplace_back();
      else row.fields.back() += c;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Replaces every {placeholder} of `vars` in s.
inline std::string substitute(std::string s, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, v] : vars)
    for (size_t at = s.find(k); at != std::string::npos; at = s.find(k, at + v.size())) s.replace(at, k.size(), v);
  return s;
}

inline size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  if (!s.empty() && s.back() != '\n') ++n;
  return n;
}

}  // namespace commsim::test
