// What the commands that wrap the study runner share (curve_command.cpp defines them): the output
// file and the runner's options.
#pragma once
#include <string>
#include <vector>

#include "sim/cli/cli.hpp"
#include "sim/study/runner.hpp"

namespace commsim::cli {

// The output file: --out / -o, else a temporary file removed when the command ends (and its
// .partial). --resume needs a named file (InputError).
struct OutputFile {
  std::string path;
  bool temporary = false;
  OutputFile(const Args& a, const char* command);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
};

// The runner's options every command sets the same way (--threads, --force, --resume, the command
// line and its canonical form with the --set keys, progress on stderr).
StudyRunOptions run_options(const Args& a, const OutputFile& file, const std::string& command,
                            const std::vector<std::string>& argv, const std::string& canonical, RunProgress& progress);

}  // namespace commsim::cli
