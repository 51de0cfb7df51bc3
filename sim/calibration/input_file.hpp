// Reading the calibration module's input files (a registry, a targets file) whole, with the
// command-line option that named the file in the error when it cannot be read.
#pragma once
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/core/error.hpp"

namespace commsim::calibration_detail {

// The text of `path`; InputError (key `option`) saying `what` cannot be read.
inline std::string read_input_file(const std::string& path, const std::string& option, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || !std::filesystem::is_regular_file(path, ec))
    throw InputError(SourcePos{path, 0, 0}, option, "cannot read the " + what + " file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace commsim::calibration_detail
